using System.Text.Json;
using Builder.Oci;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Registry.Clients;

namespace Builder.Cache.Backends;

/// <summary>
/// A cache in an OCI image layout directory (<c>type=local,dest=DIR</c> / <c>src=DIR</c>), laid out as buildx does:
/// blobs under <c>blobs/sha256/</c>, and in <c>index.json</c> one descriptor per entry whose
/// <c>org.opencontainers.image.ref.name</c> is the entry's bare tag. Blobs go through <see cref="OciLayoutStore"/>
/// (verified on commit, renamed into place); its tags are full image references, so the entries' index.json lines
/// are written here, under the store's own lock.
/// </summary>
public sealed class LayoutCacheBackend : ICacheBackend
{
    // As for registries: nothing legitimate is larger, and the bound keeps a hostile file from being read whole.
    private const int MaxManifestSize = 4 << 20;

    private readonly OciLayoutStore _store;

    private LayoutCacheBackend(OciLayoutStore store, string display)
    {
        _store = store;
        Display = display;
    }

    public string Display { get; }

    /// <summary>
    /// The layout <paramref name="spec"/> names: created when <paramref name="push"/> (<c>dest=</c>), which must be
    /// a layout already when not (<c>src=</c>).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">An import from a directory that holds no OCI layout.</exception>
    public static async Task<LayoutCacheBackend> OpenAsync(CacheSpec spec, bool push, CancellationToken cancellationToken)
    {
        var directory = spec.Directory ?? throw new ArgumentException($"{spec.Display} is not a local cache", nameof(spec));
        if (!push && !File.Exists(Path.Combine(directory, OciLayoutStore.IndexFileName)))
        {
            throw new DirectoryNotFoundException($"{directory} holds no OCI image layout (no {OciLayoutStore.IndexFileName})");
        }
        try
        {
            return new LayoutCacheBackend(await OciLayoutStore.OpenAsync(directory, cancellationToken).ConfigureAwait(false), spec.Display);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{directory}: {OciLayout.FileName} is not valid JSON: {e.Message}", e);
        }
    }

    public async Task<RegistryManifest?> GetEntryAsync(string tag, CancellationToken cancellationToken)
    {
        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        if (index.Manifests.LastOrDefault(d => RefName(d) == tag) is not { } entry)
        {
            return null;
        }
        if (entry.Size > MaxManifestSize)
        {
            throw new InvalidDataException($"{Display}: the entry {tag} is {entry.Size} bytes, more than the {MaxManifestSize} a manifest may be");
        }
        // Read whole and checked against the index's digest and size, as the registry backend's manifests are.
        var bytes = await _store.ReadBlobAsync(entry, cancellationToken).ConfigureAwait(false);
        return new RegistryManifest(new Descriptor(entry.MediaType, entry.Digest, entry.Size), bytes);
    }

    public Task<bool> HasBlobAsync(Descriptor blob, CancellationToken cancellationToken) =>
        _store.ExistsAsync(blob.Digest, cancellationToken);

    public Task<Stream> OpenBlobAsync(Descriptor blob, CancellationToken cancellationToken) =>
        _store.OpenReadAsync(blob.Digest, cancellationToken);

    public async Task PushBlobAsync(Descriptor blob, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        await using var content = await open(cancellationToken).ConfigureAwait(false);
        await _store.IngestAsync(content, blob.MediaType, blob.Digest, blob.Size, cancellationToken).ConfigureAwait(false);
    }

    public async Task PutEntryAsync(string tag, ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken)
    {
        var blob = await _store.WriteBlobAsync(MediaTypes.OciManifest, manifest, cancellationToken).ConfigureAwait(false);
        var entry = blob with { Annotations = new Dictionary<string, string> { [OciLayoutStore.RefNameAnnotation] = tag } };
        await UpdateIndexAsync(manifests => [.. manifests.Where(d => RefName(d) != tag), entry], cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<string> ListTagsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        foreach (var tag in index.Manifests.Select(RefName).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            yield return tag;
        }
    }

    public async Task<bool> DeleteEntryAsync(Digest manifest, CancellationToken cancellationToken)
    {
        var removed = false;
        await UpdateIndexAsync(manifests =>
        {
            var kept = manifests.Where(d => d.Digest != manifest).ToList();
            removed = kept.Count != manifests.Count;
            return removed ? kept : null;
        }, cancellationToken).ConfigureAwait(false);
        return removed;
    }

    // The store's blobs are files; it holds nothing open.
    public void Dispose()
    {
    }

    private static string? RefName(Descriptor descriptor) =>
        descriptor.Annotations?.GetValueOrDefault(OciLayoutStore.RefNameAnnotation);

    private async Task<ImageIndex> ReadIndexAsync(CancellationToken cancellationToken)
    {
        // A restored CI folder is as untrusted as a registry: what the JSON reader lets through null is refused too.
        ImageIndex index;
        try
        {
            index = await _store.ReadLayoutIndexAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{Display}: {OciLayoutStore.IndexFileName} is not a valid OCI index: {e.Message}", e);
        }
        return index.Manifests is not null && index.Manifests.All(d => d is { MediaType: not null, Digest.Algorithm: not null, Size: >= 0 })
            ? index
            : throw new InvalidDataException($"{Display}: {OciLayoutStore.IndexFileName} lists a descriptor without a media type, digest or size");
    }

    /// <summary>
    /// Reads, changes and replaces index.json while holding the lock <see cref="OciLayoutStore"/> takes for its own
    /// tags (an flock on index.json.lock), so concurrent writers, threads or processes, all land; a null from
    /// <paramref name="change"/> writes nothing. Replaced whole (<see cref="AtomicFile"/>): readers need no lock.
    /// </summary>
    private async Task UpdateIndexAsync(Func<IReadOnlyList<Descriptor>, IReadOnlyList<Descriptor>?> change, CancellationToken cancellationToken)
    {
        var layout = _store.Layout;
        using var indexLock = await LockAsync(layout.Index + ".lock", cancellationToken).ConfigureAwait(false);
        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        if (change(index.Manifests) is { } manifests)
        {
            // The temporary file in ingest/, where the store's prune finds one a crash left behind.
            var temporary = Path.Combine(layout.Ingest, $"{OciLayoutStore.IndexFileName}-{Guid.NewGuid():N}.partial");
            await AtomicFile.WriteAsync(layout.Index, OciJson.Serialize(index with { Manifests = manifests }, OciJson.Index), cancellationToken, temporary)
                .ConfigureAwait(false);
        }
    }

    private static async Task<IDisposable> LockAsync(string path, CancellationToken cancellationToken)
    {
        for (var delay = 1; ; delay = Math.Min(delay * 2, 20))
        {
            try
            {
                // FileShare.None is an exclusive flock on Linux, between threads of one process too.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (e.GetType() == typeof(IOException))
            {
                // Held by another writer.
            }
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }
}
