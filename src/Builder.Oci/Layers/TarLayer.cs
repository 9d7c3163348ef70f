using System.Buffers;

namespace Builder.Oci.Layers;

/// <summary>
/// Turns an existing tar (a root filesystem from <c>tar -c</c>, debootstrap, a docker export) into a layer:
/// entries keep their order and metadata (xattrs as bytes), names are made canonical (<c>./bin/sh</c> →
/// <c>bin/sh</c>), the root entry is dropped, and a name with <c>..</c> is refused. gzip or zstd input is accepted.
/// </summary>
public static class TarLayer
{
    public static async Task<LayerDescriptor> WriteAsync(Stream tar, Stream destination, LayerWriterOptions? options, CancellationToken cancellationToken)
    {
        options ??= new LayerWriterOptions();
        var epoch = options.SourceDateEpoch?.ToUnixTimeSeconds();
        await using var input = await LayerDecompression.OpenUncompressedAsync(tar, cancellationToken).ConfigureAwait(false);
        var reader = new TarEntryReader(input);
        var output = new LayerOutput(destination, options.Compression, options.CompressionLevel, options.MaxDegreeOfParallelism);
        await using (output.ConfigureAwait(false))
        {
            var headerBuffer = new ArrayBufferWriter<byte>(4096);
            while (await reader.NextAsync(cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (entry.Name.Split('/').All(p => p is "" or "."))
                {
                    continue; // the root directory itself is not an entry of a layer
                }
                var name = EntryPath(entry.Name, entry.Name);
                var header = new TarHeader(entry.Type == TarFormat.TypeDirectory ? name + "/" : name, entry.Type)
                {
                    Mode = entry.Mode,
                    Uid = entry.Uid,
                    Gid = entry.Gid,
                    Size = entry.Size,
                    MtimeSeconds = epoch is { } clamp ? Math.Min(entry.MtimeSeconds, clamp) : entry.MtimeSeconds,
                    LinkName = entry.Type switch
                    {
                        TarFormat.TypeHardlink => EntryPath(entry.Name, entry.LinkName),
                        TarFormat.TypeSymlink => entry.LinkName,
                        _ => null,
                    },
                    DeviceMajor = entry.DeviceMajor,
                    DeviceMinor = entry.DeviceMinor,
                    Xattrs = entry.Xattrs,
                };
                headerBuffer.Clear();
                TarHeaderWriter.Write(header, headerBuffer);
                await output.WriteAsync(headerBuffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                long copied = 0;
                while (await reader.ReadDataAsync(cancellationToken).ConfigureAwait(false) is { Length: > 0 } data)
                {
                    await output.WriteAsync(data, cancellationToken).ConfigureAwait(false);
                    copied += data.Length;
                }
                await output.WriteZerosAsync(TarFormat.Padding(copied), cancellationToken).ConfigureAwait(false);
            }
            await output.WriteZerosAsync(2 * TarFormat.BlockSize, cancellationToken).ConfigureAwait(false);
            return await output.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // The archive is input: a name that steps out of the tree (or is otherwise unusable) refuses the entry, not the program.
    private static string EntryPath(string entryName, string path)
    {
        try
        {
            return LayerPaths.NormalizeForWriting(path);
        }
        catch (ArgumentException e)
        {
            throw new UnsafeLayerEntryException(entryName, e.Message);
        }
    }
}
