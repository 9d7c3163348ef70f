using System.Formats.Tar;

namespace Builder.Oci.Layers;

/// <summary>
/// Turns an existing tar (a root filesystem from <c>tar -c</c>, debootstrap, a docker export) into a layer:
/// entries keep their order and metadata, names are made canonical (<c>./bin/sh</c> → <c>bin/sh</c>), the root
/// entry is dropped, and a name with <c>..</c> is refused. Compressed input (gzip, zstd) is accepted.
/// </summary>
public static class TarLayer
{
    public static async Task<LayerDescriptor> WriteAsync(Stream tar, Stream destination, LayerWriterOptions? options, CancellationToken cancellationToken)
    {
        options ??= new LayerWriterOptions();
        var input = await LayerDecompression.OpenUncompressedAsync(tar, cancellationToken).ConfigureAwait(false);
        var output = new LayerOutput(destination, options.Compression, options.CompressionLevel, options.MaxDegreeOfParallelism);
        await using (output.ConfigureAwait(false))
        {
            var sink = new LayerOutputStream(output);
            await using (var reader = new TarReader(input, leaveOpen: true))
            await using (var writer = new TarWriter(sink, TarEntryFormat.Pax, leaveOpen: true))
            {
                while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                {
                    if (Rewrite(entry, options) is { } rewritten)
                    {
                        await writer.WriteEntryAsync(rewritten, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            return await output.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static PaxTarEntry? Rewrite(TarEntry entry, LayerWriterOptions options)
    {
        if (entry.EntryType is TarEntryType.GlobalExtendedAttributes)
        {
            return null;
        }
        var trimmed = entry.Name.TrimEnd('/');
        if (trimmed is "" or "." || trimmed.Split('/').All(p => p is "" or "."))
        {
            return null; // the root directory itself is not an entry of a layer
        }
        var name = LayerPaths.NormalizeForWriting(entry.Name);
        var pax = entry as PaxTarEntry ?? new PaxTarEntry(entry);
        var copy = new PaxTarEntry(pax.EntryType, entry.EntryType == TarEntryType.Directory ? name + "/" : name,
            pax.ExtendedAttributes.Where(a => a.Key.StartsWith("SCHILY.xattr.", StringComparison.Ordinal)))
        {
            Mode = entry.Mode,
            Uid = entry.Uid,
            Gid = entry.Gid,
            ModificationTime = options.SourceDateEpoch is { } epoch && entry.ModificationTime > epoch ? epoch : entry.ModificationTime,
            DataStream = entry.DataStream,
        };
        if (entry.EntryType is TarEntryType.SymbolicLink)
        {
            copy.LinkName = entry.LinkName;
        }
        else if (entry.EntryType is TarEntryType.HardLink)
        {
            copy.LinkName = LayerPaths.NormalizeForWriting(entry.LinkName);
        }
        if (entry is PosixTarEntry posix && entry.EntryType is TarEntryType.CharacterDevice or TarEntryType.BlockDevice)
        {
            copy.DeviceMajor = posix.DeviceMajor;
            copy.DeviceMinor = posix.DeviceMinor;
        }
        return copy;
    }

    /// <summary>A write-only stream into the layer output (compression and hashing happen there).</summary>
    private sealed class LayerOutputStream(LayerOutput output) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) =>
            output.WriteAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            output.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            output.WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
