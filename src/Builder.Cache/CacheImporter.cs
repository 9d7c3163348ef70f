using Builder.Oci;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.Layers;

namespace Builder.Cache;

/// <summary>A cache that is open for import: its spec (how it is named) and its backend.</summary>
public sealed record ImportCache(CacheSpec Spec, ICacheBackend Backend)
{
    /// <summary>What progress and <c>--metadata-file</c> call it: <c>registry</c> or <c>local</c> (a layout directory).</summary>
    public string Source => Spec.Reference is null ? "local" : "registry";
}

/// <summary>
/// A step found in an imported cache: its layer (now in the local store, verified) with its diffID, or no layer when
/// the step changed no file; where it came from, and how many bytes were downloaded for it.
/// </summary>
public sealed record CacheHit(Digest Key, Descriptor? Layer, Digest? DiffId, string Source, string Display, long BytesFetched);

/// <summary>
/// Looks steps up in the <c>--cache-from</c> caches, in order: the first that has the step's entry wins. Everything a
/// cache returns is untrusted: the entry must be exactly what <see cref="CacheExporter"/> writes, the layer's bytes
/// must match its digest (checked as it is written into the store) and, uncompressed, its diffID. Any failure is a
/// warning and a miss: a cache never fails a build. A cache that cannot be reached (or refuses us) is not asked again.
/// </summary>
public sealed class CacheImporter(IReadOnlyList<ImportCache> caches, OciLayoutStore store, Action<string> warn)
{
    /// <summary>The largest entry manifest taken: ours are well under 2 KiB.</summary>
    private const int MaxEntrySize = 64 << 10;

    private readonly HashSet<ImportCache> _unreachable = [];
    private readonly HashSet<ImportCache> _found = [];
    private bool _asked;

    public async Task<CacheHit?> FindAsync(Digest key, CancellationToken cancellationToken)
    {
        foreach (var cache in caches)
        {
            lock (_unreachable)
            {
                _asked = true;
                if (_unreachable.Contains(cache))
                {
                    continue;
                }
            }
            if (await FindAsync(cache, key, cancellationToken).ConfigureAwait(false) is { } hit)
            {
                return hit;
            }
        }
        return null;
    }

    /// <summary>
    /// After the build: a warning for each reachable cache that had an entry for none of the steps looked up. A missing
    /// ref (or tag) answers every lookup as a plain miss, so this is where it is told apart from a cache that was used.
    /// </summary>
    public void WarnUnused()
    {
        lock (_unreachable)
        {
            foreach (var cache in caches.Where(c => _asked && !_found.Contains(c) && !_unreachable.Contains(c)))
            {
                warn($"cache {cache.Backend.Display}: none of the steps was in it (the cache is missing, or built from other inputs)");
            }
        }
    }

    private async Task<CacheHit?> FindAsync(ImportCache cache, Digest key, CancellationToken cancellationToken)
    {
        Builder.Registry.Clients.RegistryManifest? entry;
        try
        {
            entry = await cache.Backend.GetEntryAsync(CacheEntries.StepTag(cache.Spec.Tag, key), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Unreachable, unauthorised, a broken server: the same for every step, so said once (steps of parallel stages may both fail).
            bool first;
            lock (_unreachable)
            {
                first = _unreachable.Add(cache);
            }
            if (first)
            {
                warn($"cache {cache.Backend.Display}: {Reason(e)}; building without it");
            }
            return null;
        }
        if (entry is null)
        {
            return null;
        }
        lock (_unreachable)
        {
            _found.Add(cache);
        }
        try
        {
            var (layer, diffId) = ReadEntry(entry, key);
            var fetched = layer is null ? 0 : await FetchAsync(cache.Backend, layer, cancellationToken).ConfigureAwait(false);
            if (layer is not null)
            {
                await VerifyDiffIdAsync(layer, diffId!.Value, cancellationToken).ConfigureAwait(false);
            }
            return new CacheHit(key, layer, diffId, cache.Source, cache.Backend.Display, fetched);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            warn($"cache {cache.Backend.Display}: entry {key}: {Reason(e)}; the step is built instead");
            return null;
        }
    }

    /// <summary>The entry's layer (null for the empty descriptor) and diffID, when the manifest is exactly a step entry for <paramref name="key"/>.</summary>
    private static (Descriptor? Layer, Digest? DiffId) ReadEntry(Builder.Registry.Clients.RegistryManifest entry, Digest key)
    {
        if (entry.Bytes.Length > MaxEntrySize)
        {
            throw new InvalidDataException($"the entry is {entry.Bytes.Length} bytes, more than a step entry can be");
        }
        if (Digest.Of(entry.Bytes.Span, entry.Descriptor.Digest.Algorithm) != entry.Descriptor.Digest)
        {
            throw new InvalidDataException($"the entry's bytes do not match its digest {entry.Descriptor.Digest}");
        }
        var manifest = OciJson.ParseManifest(entry.Bytes).Value;
        Require(manifest.SchemaVersion == 2 && manifest.MediaType == MediaTypes.OciManifest, "the entry is not an OCI image manifest");
        Require(manifest.ArtifactType == CacheEntries.StepArtifactType, $"the entry's artifactType is {manifest.ArtifactType ?? "missing"}, not a step's");
        Require(IsEmpty(manifest.Config), "the entry's config is not the empty descriptor");
        Require(manifest.Subject is null, "the entry has a subject");
        Require(manifest.Annotations?.GetValueOrDefault(CacheEntries.KeyAnnotation) == key.ToString(), "the entry is for another key");
        Require(manifest.Layers.Count == 1, $"the entry has {manifest.Layers.Count} layers, not one");
        var layer = manifest.Layers[0];
        if (IsEmpty(layer))
        {
            return (null, null);
        }
        Require(layer.MediaType is MediaTypes.OciLayerGzip or MediaTypes.OciLayerZstd, $"the layer's media type {layer.MediaType} is not gzip or zstd");
        Require(layer.Size > 0 && layer.Urls is null && layer.Data is null, "the layer descriptor is not a plain blob");
        Require(layer.Annotations?.GetValueOrDefault(CacheEntries.DiffIdAnnotation) is { } text && Digest.TryParse(text, out var parsed)
            && parsed.Algorithm == Digest.Sha256, "the layer has no valid diffID");
        var diffId = Digest.Parse(layer.Annotations![CacheEntries.DiffIdAnnotation]);
        // Only what a layer needs is kept: the annotations were for this check.
        return (new Descriptor(layer.MediaType, layer.Digest, layer.Size), diffId);
    }

    internal static bool IsEmpty(Descriptor descriptor) =>
        descriptor.MediaType == CacheEntries.EmptyDescriptor.MediaType && descriptor.Digest == CacheEntries.EmptyDescriptor.Digest
        && descriptor.Size == CacheEntries.EmptyDescriptor.Size;

    private static void Require(bool condition, string reason)
    {
        if (!condition)
        {
            throw new InvalidDataException(reason);
        }
    }

    /// <summary>
    /// Downloads the layer into the store unless it is there already; the store's writer rejects bytes that do not
    /// match the digest and size, and no more than the size is read. Returns the bytes downloaded.
    /// </summary>
    private async Task<long> FetchAsync(ICacheBackend backend, Descriptor layer, CancellationToken cancellationToken)
    {
        // Held first, so a concurrent prune cannot take the blob between this check and the build's use of it.
        store.Lease?.Hold(layer.Digest);
        if (await store.ExistsAsync(layer.Digest, cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }
        await using var writer = await store.OpenWriterAsync(layer.Digest.Algorithm, cancellationToken).ConfigureAwait(false);
        await using (var source = await backend.OpenBlobAsync(layer, cancellationToken).ConfigureAwait(false))
        {
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (writer.Written + read > layer.Size)
                {
                    throw new InvalidDataException($"blob {layer.Digest} is larger than its {layer.Size} bytes");
                }
                await writer.Stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }
        await writer.CommitAsync(layer.MediaType, layer.Digest, layer.Size, cancellationToken).ConfigureAwait(false);
        return layer.Size;
    }

    /// <summary>
    /// The diffID the entry claims becomes the image config's: it is checked on the layer as extraction will read it,
    /// compressed as its media type says.
    /// </summary>
    private async Task VerifyDiffIdAsync(Descriptor layer, Digest diffId, CancellationToken cancellationToken)
    {
        var magic = new byte[4];
        await using (var start = await store.OpenReadAsync(layer.Digest, cancellationToken).ConfigureAwait(false))
        {
            await start.ReadAtLeastAsync(magic, magic.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        }
        var expected = layer.MediaType == MediaTypes.OciLayerZstd ? LayerCompression.Zstd : LayerCompression.Gzip;
        Require(LayerDecompression.Detect(magic) == expected, $"blob {layer.Digest} is not {expected.ToString().ToLowerInvariant()} as its media type says");
        using var hash = Digest.CreateHash(diffId.Algorithm);
        await using var tar = await LayerDecompression.OpenUncompressedAsync(
            await store.OpenReadAsync(layer.Digest, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await tar.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }
        var actual = Digest.FromHash(diffId.Algorithm, hash.GetHashAndReset());
        Require(actual == diffId, $"layer {layer.Digest} uncompresses to {actual}, not the diffID {diffId} the entry claims");
    }

    /// <summary>A one-line reason: the exception's message, first line only (a server's body may follow).</summary>
    public static string Reason(Exception e) => e.Message.Split('\n')[0].Trim();
}
