using System.Globalization;
using System.Text.Json;
using Builder.Oci;
using Builder.Oci.Images;
using Builder.Oci.Layers;
using Builder.Registry.Clients;

namespace Builder.Cache;

/// <summary>
/// The contents of one <c>RUN --mount=type=cache</c> id in a cache (<c>cache-mounts=true</c>): one gzip tar of the
/// directory, in an entry of its own (<see cref="CacheEntries.MountTag"/>). Written with the layer writer (a
/// deterministic tar of files, directories and symlinks with their modes and ids) and read back with the layer applier
/// (nothing lands outside the directory). Every failure is a warning the caller reports: a cache never fails a build.
/// </summary>
public static class CacheMountArchive
{
    /// <summary>A mount entry is a few hundred bytes; anything much larger is not one of ours.</summary>
    private const int MaxManifestSize = 64 << 10;

    /// <summary>
    /// The tar an imported blob may expand to, as a multiple of the blob cap: a blob within the cap can still inflate
    /// without bound (gzip of zeros is ~1000:1), while real caches (packages, sources) compress far less than this.
    /// </summary>
    private const long MaxExpansion = 20;

    /// <summary>
    /// Exports <paramref name="directory"/>'s contents as the entry of <paramref name="mountId"/>. Returns null when
    /// written, else the warning: over <see cref="CacheSpec.CacheMountsMax"/> (nothing uploaded), or the backend failed.
    /// </summary>
    public static async Task<string?> ExportAsync(ICacheBackend backend, CacheSpec spec, string mountId, string directory,
        CancellationToken cancellationToken)
    {
        // Written to a file first: a push needs the digest before the bytes, and may retry.
        var blobPath = Sibling(directory, "blob");
        try
        {
            LayerDescriptor layer;
            await using (var file = new FileStream(blobPath, FileMode.CreateNew, FileAccess.Write))
            {
                var capped = new CappedWriteStream(file, spec.CacheMountsMax);
                try
                {
                    layer = await LayerWriter.WriteDirectoryAsync(directory, capped, new LayerWriterOptions(), cancellationToken).ConfigureAwait(false);
                }
                catch (IOException) when (capped.Exceeded)
                {
                    return $"cache mount {Display(mountId)} not exported to {backend.Display}: "
                        + $"it compresses to more than cache-mounts-max ({spec.CacheMountsMax} bytes)";
                }
            }
            var blob = layer.Compressed;
            await CacheExporter.PushAsync(backend, blob, _ => Task.FromResult<Stream>(File.OpenRead(blobPath)), cancellationToken).ConfigureAwait(false);
            await CacheExporter.PushAsync(backend, CacheEntries.EmptyDescriptor,
                _ => Task.FromResult<Stream>(new MemoryStream(CacheEntries.EmptyJson.ToArray(), writable: false)), cancellationToken).ConfigureAwait(false);
            await backend.PutEntryAsync(CacheEntries.MountTag(spec.Tag, mountId), Entry(mountId, blob), cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return $"cache mount {Display(mountId)} not exported to {backend.Display}: {CacheImporter.Reason(e)}";
        }
        finally
        {
            File.Delete(blobPath);
        }
    }

    /// <summary>
    /// Fills <paramref name="directory"/> (absent, or empty: it is replaced) with the contents of
    /// <paramref name="mountId"/> from the first cache that has a valid entry for it. The archive is extracted into a
    /// directory beside it and renamed into place, so a failed import leaves nothing. Returns the cache it came from
    /// (null when none had it), and a warning for each cache that had an entry but could not give it.
    /// </summary>
    public static async Task<(string? ImportedFrom, IReadOnlyList<string> Warnings)> ImportAsync(
        IReadOnlyList<ImportCache> sources, string mountId, string directory, CancellationToken cancellationToken)
    {
        var warnings = new List<string>();
        foreach (var (spec, backend) in sources)
        {
            try
            {
                if (await TryImportAsync(backend, spec, mountId, directory, cancellationToken).ConfigureAwait(false))
                {
                    return (backend.Display, warnings);
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                warnings.Add($"cache mount {Display(mountId)} not imported from {backend.Display}: {CacheImporter.Reason(e)}");
            }
        }
        return (null, warnings);
    }

    private static async Task<bool> TryImportAsync(ICacheBackend backend, CacheSpec spec, string mountId, string directory,
        CancellationToken cancellationToken)
    {
        var entry = await backend.GetEntryAsync(CacheEntries.MountTag(spec.Tag, mountId), cancellationToken).ConfigureAwait(false);
        if (entry is null)
        {
            return false;
        }
        var blob = ValidateEntry(entry, mountId, spec.CacheMountsMax);
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
        {
            throw new IOException($"{directory} is not empty");
        }
        var blobPath = Sibling(directory, "blob");
        var staging = Sibling(directory, "tmp");
        try
        {
            await DownloadAsync(backend, blob, blobPath, cancellationToken).ConfigureAwait(false);
            Directory.CreateDirectory(staging);
            // Only verified bytes reach the applier, which refuses any entry that would land outside the staging directory.
            await using (var tar = await LayerDecompression.OpenUncompressedAsync(File.OpenRead(blobPath), cancellationToken).ConfigureAwait(false))
            {
                await LayerApplier.ApplyAsync(new BoundedReadStream(tar, Math.Min(spec.CacheMountsMax, long.MaxValue / MaxExpansion) * MaxExpansion), staging, null, cancellationToken)
                    .ConfigureAwait(false);
            }
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory); // the fresh, empty directory the caller made; not recursive, so never a filled one
            }
            Directory.Move(staging, directory);
            return true;
        }
        finally
        {
            File.Delete(blobPath);
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true); // deletes symlinks, never follows them
            }
        }
    }

    /// <summary>The entry manifest: an OCI 1.1 artifact whose config is the empty descriptor and whose one layer is the archive.</summary>
    internal static ReadOnlyMemory<byte> Entry(string mountId, Descriptor blob) =>
        CacheEntries.Manifest(CacheEntries.MountArtifactType, blob, new Dictionary<string, string> { [CacheEntries.MountIdAnnotation] = mountId });

    /// <summary>The entry's one layer, after checking the manifest is exactly what <see cref="ExportAsync"/> writes.</summary>
    internal static Descriptor ValidateEntry(RegistryManifest entry, string mountId, long maxBlobSize)
    {
        var bytes = entry.Bytes;
        if (bytes.Length > MaxManifestSize)
        {
            throw new InvalidDataException($"the entry is {bytes.Length} bytes, more than a cache mount entry can be");
        }
        if (Digest.Of(bytes.Span, entry.Descriptor.Digest.Algorithm) != entry.Descriptor.Digest)
        {
            throw new InvalidDataException($"the entry's bytes do not match its digest {entry.Descriptor.Digest}");
        }
        ImageManifest manifest;
        try
        {
            manifest = OciJson.Deserialize(bytes.Span, OciJson.Manifest);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the entry is not an image manifest: {e.Message}");
        }
        string? problem = manifest switch
        {
            { SchemaVersion: not 2 } => $"schemaVersion {manifest.SchemaVersion}",
            { MediaType: not MediaTypes.OciManifest } => $"media type {manifest.MediaType ?? "(none)"}",
            { ArtifactType: not CacheEntries.MountArtifactType } => $"artifact type {manifest.ArtifactType ?? "(none)"}",
            _ when manifest.Config is null || !CacheImporter.IsEmpty(manifest.Config) => "its config is not the empty descriptor",
            { Subject: not null } => "it has a subject",
            _ when manifest.Annotations?.GetValueOrDefault(CacheEntries.MountIdAnnotation) != mountId => "it is for another cache mount id",
            _ => null,
        };
        if (problem is not null)
        {
            throw new InvalidDataException($"not a cache mount entry: {problem}");
        }
        if (manifest.Layers is not [{ MediaType: MediaTypes.OciLayerGzip, Urls: null, Data: null } layer] || layer.Digest.Algorithm != Digest.Sha256)
        {
            throw new InvalidDataException($"not a cache mount entry: it does not hold exactly one plain, sha256-addressed {MediaTypes.OciLayerGzip} blob");
        }
        if (layer.Size <= 0 || layer.Size > maxBlobSize)
        {
            throw new InvalidDataException($"its blob is {layer.Size} bytes, outside 1 to cache-mounts-max ({maxBlobSize} bytes)");
        }
        return new Descriptor(layer.MediaType, layer.Digest, layer.Size);
    }

    /// <summary>Copies the blob to <paramref name="path"/>, refusing it as soon as it is longer than its descriptor says, or when its digest differs.</summary>
    private static async Task DownloadAsync(ICacheBackend backend, Descriptor blob, string path, CancellationToken cancellationToken)
    {
        using var hash = blob.Digest.CreateHash();
        await using var source = await backend.OpenBlobAsync(blob, cancellationToken).ConfigureAwait(false);
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total > blob.Size)
            {
                throw new InvalidDataException($"blob {blob.Digest} is longer than the {blob.Size} bytes its entry says");
            }
            hash.AppendData(buffer, 0, read);
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }
        var actual = Digest.FromHash(blob.Digest.Algorithm, hash.GetHashAndReset());
        if (total != blob.Size || actual != blob.Digest)
        {
            throw new InvalidDataException($"blob {blob.Digest} is corrupt: {total} bytes hashing to {actual}");
        }
    }

    /// <summary>A new name beside <paramref name="directory"/> (same file system, so a rename moves it into place).</summary>
    private static string Sibling(string directory, string suffix) =>
        $"{Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))}.{Guid.NewGuid():N}.{suffix}";

    /// <summary>Ids made with <c>from=</c> carry their source after a NUL; messages show the id as written.</summary>
    private static string Display(string mountId) => mountId.Split('\0')[0];

    /// <summary>Stops the export as soon as the blob grows past the cap, instead of compressing the rest for nothing.</summary>
    private sealed class CappedWriteStream(Stream inner, long cap) : WriteOnlyStream
    {
        public bool Exceeded { get; private set; }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Written + buffer.Length > cap)
            {
                Exceeded = true;
                throw new IOException($"the archive is larger than {cap} bytes");
            }
            inner.Write(buffer);
            Written += buffer.Length;
        }

        public override void Flush() => inner.Flush();
    }

    /// <summary>A read side that fails once more than <paramref name="limit"/> bytes came through.</summary>
    private sealed class BoundedReadStream(Stream inner, long limit) : ReadOnlyStream
    {
        private long _read;

        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        private int Count(int read)
        {
            _read += read;
            return _read <= limit ? read : throw new InvalidDataException($"the archive expands to more than {limit} bytes");
        }
    }
}
