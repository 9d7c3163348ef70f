using System.IO.Compression;

namespace Builder.Oci.Layers;

/// <summary>Opens a layer blob as its uncompressed tar, whatever the media type claimed: gzip and zstd are told by their magic.</summary>
public static class LayerDecompression
{
    /// <summary>gzip (<c>1f 8b</c>), zstd (<c>28 b5 2f fd</c>), anything else is taken as plain tar.</summary>
    public static LayerCompression Detect(ReadOnlySpan<byte> start) =>
        start.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B]) ? LayerCompression.Gzip
        : start.StartsWith((ReadOnlySpan<byte>)[0x28, 0xB5, 0x2F, 0xFD]) ? LayerCompression.Zstd
        : LayerCompression.None;

    /// <summary>
    /// A stream of the uncompressed tar (reads of multi-member gzip and multi-frame zstd included).
    /// Disposing it disposes <paramref name="layer"/>.
    /// </summary>
    public static async Task<Stream> OpenUncompressedAsync(Stream layer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var magic = new byte[4];
        var filled = 0;
        while (filled < magic.Length)
        {
            var n = await layer.ReadAsync(magic.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            filled += n;
        }
        var prefixed = new PrefixedStream(magic.AsMemory(0, filled), layer);
        return Detect(magic.AsSpan(0, filled)) switch
        {
            LayerCompression.Gzip => new GZipStream(prefixed, CompressionMode.Decompress, leaveOpen: false),
            LayerCompression.Zstd => new ZstdSharp.DecompressionStream(prefixed, leaveOpen: false),
            _ => prefixed,
        };
    }
}

/// <summary>Bytes already read to sniff the format, then the rest of the stream.</summary>
internal sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream inner) : ReadOnlyStream
{
    private ReadOnlyMemory<byte> _prefix = prefix;

    public override int Read(Span<byte> buffer)
    {
        if (_prefix.IsEmpty)
        {
            return inner.Read(buffer);
        }
        var n = Math.Min(buffer.Length, _prefix.Length);
        _prefix.Span[..n].CopyTo(buffer);
        _prefix = _prefix[n..];
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_prefix.IsEmpty)
        {
            return inner.ReadAsync(buffer, cancellationToken);
        }
        return ValueTask.FromResult(Read(buffer.Span));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
