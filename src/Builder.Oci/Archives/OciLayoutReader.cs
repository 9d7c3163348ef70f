using Builder.Oci.Content;
using Builder.Oci.Images;

namespace Builder.Oci.Archives;

/// <summary>Reads someone else's OCI layout directory (never writes to it).</summary>
internal sealed class OciLayoutReader
{
    private readonly string _root;

    private OciLayoutReader(string root, ImageIndex index)
    {
        _root = root;
        Index = index;
    }

    public ImageIndex Index { get; }

    public static async Task<OciLayoutReader> OpenAsync(string root, CancellationToken cancellationToken)
    {
        var layout = OciJson.Deserialize(await File.ReadAllBytesAsync(Path.Combine(root, OciLayout.FileName), cancellationToken).ConfigureAwait(false),
            OciJson.Layout);
        if (layout.ImageLayoutVersion?.StartsWith("1.", StringComparison.Ordinal) != true)
        {
            throw new InvalidDataException($"{root}: unsupported OCI image layout version {layout.ImageLayoutVersion}");
        }
        var index = OciJson.Deserialize(await File.ReadAllBytesAsync(Path.Combine(root, OciLayoutStore.IndexFileName), cancellationToken).ConfigureAwait(false),
            OciJson.Index);
        return new OciLayoutReader(root, index);
    }

    public Stream OpenRead(Digest digest)
    {
        var path = Path.Combine(_root, "blobs", digest.Algorithm, digest.Hex);
        return File.Exists(path)
            ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true)
            : throw new ContentNotFoundException(digest);
    }

    /// <summary>A small blob whole, checked against its descriptor.</summary>
    public async Task<byte[]> ReadAllAsync(Descriptor descriptor, CancellationToken cancellationToken)
    {
        await using var stream = OpenRead(descriptor.Digest);
        var bytes = new byte[stream.Length];
        await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
        var actual = Digest.Of(bytes, descriptor.Digest.Algorithm);
        return actual == descriptor.Digest && bytes.Length == descriptor.Size
            ? bytes
            : throw new ContentVerificationException($"blob {descriptor.Digest} in {_root} is {bytes.Length} bytes with digest {actual}");
    }
}
