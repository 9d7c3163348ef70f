using System.IO.Compression;
using System.Security.Cryptography;
using Builder.Oci.Layers;

namespace Builder.Benchmarks;

/// <summary>
/// The compression paths compared for layer writing, each producing a complete layer (tar, diffID, compressed
/// digest) from a directory into a destination stream.
/// </summary>
public static class LayerVariants
{
    public static IReadOnlyList<string> Names { get; } =
    [
        "ours-gzip6-parallel", // the default
        "ours-gzip6-1thread",
        "ours-gzip1-parallel",
        "ours-gzip9-parallel",
        "ours-zstd3-parallel",
        "ours-tar-only",
        "net-gzip6-1stream",
        "net-gzip1-1stream",
        "sharpzip-gzip6-1stream",
    ];

    public static async Task<long> RunAsync(string variant, string directory, Stream destination, CancellationToken cancellationToken)
    {
        var parallel = Environment.ProcessorCount;
        switch (variant)
        {
            case "ours-gzip6-parallel":
                return (await LayerWriter.WriteDirectoryAsync(directory, destination, new LayerWriterOptions(), cancellationToken)).Compressed.Size;
            case "ours-gzip6-1thread":
                return (await LayerWriter.WriteDirectoryAsync(directory, destination, new LayerWriterOptions { MaxDegreeOfParallelism = 1 }, cancellationToken)).Compressed.Size;
            case "ours-gzip1-parallel":
                return (await LayerWriter.WriteDirectoryAsync(directory, destination, new LayerWriterOptions { CompressionLevel = 1, MaxDegreeOfParallelism = parallel }, cancellationToken)).Compressed.Size;
            case "ours-gzip9-parallel":
                return (await LayerWriter.WriteDirectoryAsync(directory, destination, new LayerWriterOptions { CompressionLevel = 9, MaxDegreeOfParallelism = parallel }, cancellationToken)).Compressed.Size;
            case "ours-zstd3-parallel":
                return (await LayerWriter.WriteDirectoryAsync(directory, destination, new LayerWriterOptions { Compression = LayerCompression.Zstd }, cancellationToken)).Compressed.Size;
            case "ours-tar-only":
                return (await LayerWriter.WriteDirectoryAsync(directory, destination, new LayerWriterOptions { Compression = LayerCompression.None }, cancellationToken)).Compressed.Size;
            case "net-gzip6-1stream":
                return await ThroughAsync(directory, destination, s => new GZipStream(s, CompressionLevel.Optimal, leaveOpen: true), cancellationToken);
            case "net-gzip1-1stream":
                return await ThroughAsync(directory, destination, s => new GZipStream(s, CompressionLevel.Fastest, leaveOpen: true), cancellationToken);
            case "sharpzip-gzip6-1stream":
                return await ThroughAsync(directory, destination, s =>
                {
                    var gzip = new ICSharpCode.SharpZipLib.GZip.GZipOutputStream(s) { IsStreamOwner = false };
                    gzip.SetLevel(6);
                    return gzip;
                }, cancellationToken);
            default:
                throw new ArgumentException($"unknown variant {variant}; known: {string.Join(", ", Names)}");
        }
    }

    /// <summary>Our uncompressed tar (with its diffID) through a single-stream compressor and a hashing stream: the serial alternatives.</summary>
    private static async Task<long> ThroughAsync(string directory, Stream destination, Func<Stream, Stream> compressor, CancellationToken cancellationToken)
    {
        var hashing = new HashingStream(destination);
        await using (var compress = compressor(hashing))
        {
            await LayerWriter.WriteDirectoryAsync(directory, compress, new LayerWriterOptions { Compression = LayerCompression.None }, cancellationToken);
        }
        _ = hashing.Digest();
        return hashing.Length;
    }

    private sealed class HashingStream(Stream inner) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public byte[] Digest() => _hash.GetHashAndReset();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.AppendData(buffer);
            _length += buffer.Length;
            inner.Write(buffer);
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
