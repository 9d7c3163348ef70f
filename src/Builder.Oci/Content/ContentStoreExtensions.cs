using Builder.Oci.Images;

namespace Builder.Oci.Content;

/// <summary>Conveniences over the narrow store roles: whole-stream ingest and small JSON blobs.</summary>
public static class ContentStoreExtensions
{
    /// <summary>The largest blob <see cref="ReadBlobAsync"/> reads into memory; layers are streamed, never read whole.</summary>
    public const long MaxInMemoryBlobSize = 16 << 20;

    /// <summary>A writer that hashes with sha256.</summary>
    public static Task<IContentWriter> OpenWriterAsync(this IContentIngester ingester, CancellationToken cancellationToken) =>
        ingester.OpenWriterAsync(Digest.Sha256, cancellationToken);

    /// <summary>Copies <paramref name="source"/> into the store and commits it, verifying what is expected.</summary>
    public static async Task<Descriptor> IngestAsync(
        this IContentIngester ingester, Stream source, string mediaType, Digest? expected, long? expectedSize, CancellationToken cancellationToken)
    {
        await using var writer = await ingester.OpenWriterAsync(expected?.Algorithm ?? Digest.Sha256, cancellationToken).ConfigureAwait(false);
        await source.CopyToAsync(writer.Stream, cancellationToken).ConfigureAwait(false);
        return await writer.CommitAsync(mediaType, expected, expectedSize, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a small blob held in memory.</summary>
    public static async Task<Descriptor> WriteBlobAsync(
        this IContentIngester ingester, string mediaType, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        await using var writer = await ingester.OpenWriterAsync(cancellationToken).ConfigureAwait(false);
        await writer.Stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
        return await writer.CommitAsync(mediaType, null, content.Length, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a manifest, index or config blob with its exact bytes; its descriptor is verified on commit.</summary>
    public static async Task<Descriptor> WriteBlobAsync<T>(this IContentIngester ingester, Blob<T> blob, CancellationToken cancellationToken)
        where T : class
    {
        await using var writer = await ingester.OpenWriterAsync(blob.Digest.Algorithm, cancellationToken).ConfigureAwait(false);
        await writer.Stream.WriteAsync(blob.Bytes, cancellationToken).ConfigureAwait(false);
        await writer.CommitAsync(blob.Descriptor.MediaType, blob.Digest, blob.Descriptor.Size, cancellationToken).ConfigureAwait(false);
        return blob.Descriptor;
    }

    /// <summary>
    /// Reads a small blob (a manifest, index or config) whole, checking it against <paramref name="descriptor"/>'s
    /// size and digest, so a damaged store is noticed rather than parsed.
    /// </summary>
    public static async Task<byte[]> ReadBlobAsync(this IContentProvider provider, Descriptor descriptor, CancellationToken cancellationToken)
    {
        if (descriptor.Size is < 0 or > MaxInMemoryBlobSize)
        {
            throw new ArgumentOutOfRangeException(nameof(descriptor), $"blob {descriptor.Digest} is {descriptor.Size} bytes: read it as a stream, not into memory");
        }
        await using var stream = await provider.OpenReadAsync(descriptor.Digest, cancellationToken).ConfigureAwait(false);
        var buffer = new byte[descriptor.Size];
        var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        var extra = read == buffer.Length ? await stream.ReadAsync(new byte[1], cancellationToken).ConfigureAwait(false) : 0;
        if (read != buffer.Length || extra != 0)
        {
            throw new ContentVerificationException($"blob {descriptor.Digest} in the store is not {descriptor.Size} bytes long");
        }
        var actual = Digest.Of(buffer, descriptor.Digest.Algorithm);
        if (actual != descriptor.Digest)
        {
            throw new ContentVerificationException($"blob {descriptor.Digest} in the store has digest {actual}");
        }
        return buffer;
    }

    public static async Task<Blob<ImageManifest>> ReadManifestAsync(this IContentProvider provider, Descriptor descriptor, CancellationToken cancellationToken) =>
        OciJson.ParseManifest(await provider.ReadBlobAsync(descriptor, cancellationToken).ConfigureAwait(false), descriptor.MediaType);

    public static async Task<Blob<ImageIndex>> ReadIndexAsync(this IContentProvider provider, Descriptor descriptor, CancellationToken cancellationToken) =>
        OciJson.ParseIndex(await provider.ReadBlobAsync(descriptor, cancellationToken).ConfigureAwait(false), descriptor.MediaType);

    public static async Task<Blob<ImageConfig>> ReadConfigAsync(this IContentProvider provider, Descriptor descriptor, CancellationToken cancellationToken) =>
        OciJson.ParseConfig(await provider.ReadBlobAsync(descriptor, cancellationToken).ConfigureAwait(false), descriptor.MediaType);
}
