using System.Globalization;
using Builder.Oci.Content;
using Builder.Oci.Layers;

namespace Builder.Oci.Images;

/// <summary>
/// Gives an image gzip layers for the way out of the local store (a push, an OCI export).
/// </summary>
/// <remarks>
/// Builds keep the layers they make as plain tars, as docker's and podman's stores do: written without compressing
/// and extracted again for the next step without decompressing, which is most of a build's I/O-bound time. A plain
/// layer is compressed once, by <see cref="LayerOutput"/> (parallel gzip, deterministic: the same tar always gives
/// the same blob); the result is remembered by diffID under <c>cache/compressed/</c>, so pushing the image again, or
/// another image sharing the layer, does not compress it again. The compressed image is a new manifest over the
/// same config: the image ID (config digest) stays what the build printed.
/// </remarks>
public sealed class ImageCompression(OciLayoutStore store, CompressionChoice? choice = null)
{
    private readonly CompressionChoice _choice = choice ?? CompressionChoice.Default;

    // gzip at its default level keeps the records' first place; another choice has a directory of its own.
    private string RecordDirectory => _choice == CompressionChoice.Default
        ? store.Layout.CompressionRecords
        : Path.Combine(store.Layout.CompressionRecords, $"{_choice.Kind.ToString().ToLowerInvariant()}-{_choice.Level?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default"}");

    /// <summary>
    /// The manifest to push or export for <paramref name="target"/>: itself when every layer is compressed already
    /// (and for indexes and artifacts), else a new manifest whose plain layers are gzip blobs in the store.
    /// </summary>
    public async Task<Descriptor> CompressAsync(Descriptor target, CancellationToken cancellationToken)
    {
        if (MediaTypes.IsIndex(target.MediaType))
        {
            return await CompressIndexAsync(target, cancellationToken).ConfigureAwait(false);
        }
        if (!MediaTypes.IsManifest(target.MediaType))
        {
            return target;
        }
        var manifest = await store.ReadManifestAsync(target, cancellationToken).ConfigureAwait(false);
        if (!manifest.Value.Layers.Any(NeedsWork))
        {
            return target;
        }
        var config = await store.ReadConfigAsync(manifest.Value.Config, cancellationToken).ConfigureAwait(false);
        var layers = new List<Descriptor>(manifest.Value.Layers.Count);
        for (var i = 0; i < manifest.Value.Layers.Count; i++)
        {
            var layer = manifest.Value.Layers[i];
            layers.Add(NeedsWork(layer)
                ? await CompressLayerAsync(layer, config.Value.RootFs.DiffIds[i], cancellationToken).ConfigureAwait(false)
                : layer);
        }
        var compressed = OciJson.ToBlob(manifest.Value with { Layers = layers });
        await store.WriteBlobAsync(compressed, cancellationToken).ConfigureAwait(false);
        return compressed.Descriptor with { Platform = target.Platform };
    }

    /// <summary>An index whose images have plain layers: a new index over their compressed manifests (the others as they are).</summary>
    private async Task<Descriptor> CompressIndexAsync(Descriptor target, CancellationToken cancellationToken)
    {
        var index = await store.ReadIndexAsync(target, cancellationToken).ConfigureAwait(false);
        var manifests = new List<Descriptor>(index.Value.Manifests.Count);
        foreach (var child in index.Value.Manifests)
        {
            // A pulled index lists platforms never fetched: those stay as the registry has them.
            manifests.Add(MediaTypes.IsManifest(child.MediaType) && await store.ExistsAsync(child.Digest, cancellationToken).ConfigureAwait(false)
                ? await CompressAsync(child, cancellationToken).ConfigureAwait(false) with { Annotations = child.Annotations }
                : child);
        }
        if (manifests.SequenceEqual(index.Value.Manifests))
        {
            return target;
        }
        var compressed = OciJson.ToBlob(index.Value with { Manifests = manifests });
        await store.WriteBlobAsync(compressed, cancellationToken).ConfigureAwait(false);
        return compressed.Descriptor;
    }

    /// <summary>A plain layer always; with force-compression, a layer compressed another way too (it is decompressed first).</summary>
    private bool NeedsWork(Descriptor layer) =>
        layer.MediaType == MediaTypes.OciLayer
        || (_choice.Force && layer.MediaType is MediaTypes.OciLayerGzip or MediaTypes.OciLayerZstd or MediaTypes.DockerLayerGzip
            && layer.MediaType.EndsWith("zstd", StringComparison.Ordinal) != (_choice.Kind == LayerCompression.Zstd));

    /// <summary>A plain layer's gzip blob in the store, made once per diffID (the registry cache's export shares it).</summary>
    public async Task<Descriptor> CompressLayerAsync(Descriptor layer, Digest diffId, CancellationToken cancellationToken)
    {
        var record = Path.Combine(RecordDirectory, diffId.Hex);
        if (await ReadRecordAsync(record, _choice.Kind == LayerCompression.Zstd ? MediaTypes.OciLayerZstd : MediaTypes.OciLayerGzip, cancellationToken).ConfigureAwait(false) is { } known
            && await store.ExistsAsync(known.Digest, cancellationToken).ConfigureAwait(false))
        {
            return layer with { MediaType = known.MediaType, Digest = known.Digest, Size = known.Size };
        }
        LayerDescriptor written;
        await using (var stored = await store.OpenReadAsync(layer.Digest, cancellationToken).ConfigureAwait(false))
        await using (var source = layer.MediaType == MediaTypes.OciLayer
            ? stored
            : await LayerDecompression.OpenUncompressedAsync(stored, cancellationToken).ConfigureAwait(false))
        await using (var writer = await store.OpenWriterAsync(cancellationToken).ConfigureAwait(false))
        {
            written = await CompressAsync(source, writer.Stream, _choice.Kind, _choice.Level, cancellationToken).ConfigureAwait(false);
            if (written.DiffId != diffId)
            {
                throw new InvalidDataException($"layer {layer.Digest} does not hash to its diffID {diffId} (read back as {written.DiffId})");
            }
            await writer.CommitAsync(written.Compressed.MediaType, written.Compressed.Digest, written.Compressed.Size, cancellationToken).ConfigureAwait(false);
        }
        await WriteRecordAsync(record, written.Compressed, cancellationToken).ConfigureAwait(false);
        return layer with { MediaType = written.Compressed.MediaType, Digest = written.Compressed.Digest, Size = written.Compressed.Size };
    }

    /// <summary>Compresses a plain tar stream with the layer writer's gzip; the diffID is the input's sha256.</summary>
    public static Task<LayerDescriptor> CompressAsync(Stream tar, Stream destination, CancellationToken cancellationToken) =>
        CompressAsync(tar, destination, LayerCompression.Gzip, null, cancellationToken);

    /// <summary>As <see cref="CompressAsync(Stream, Stream, CancellationToken)"/>, with gzip or zstd at a level (null: its default).</summary>
    public static async Task<LayerDescriptor> CompressAsync(Stream tar, Stream destination, LayerCompression compression, int? level,
        CancellationToken cancellationToken)
    {
        var output = new LayerOutput(destination, compression, level, Environment.ProcessorCount);
        await using (output.ConfigureAwait(false))
        {
            while (true)
            {
                var read = await tar.ReadAsync(output.GetMemory(), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                await output.AdvanceAsync(read, cancellationToken).ConfigureAwait(false);
            }
            return await output.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // A record is one line: "<digest> <size>"; anything else counts as no record.
    private static async Task<Descriptor?> ReadRecordAsync(string path, string mediaType, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        var fields = (await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false)).Trim().Split(' ');
        return fields.Length == 2 && Digest.TryParse(fields[0], out var digest)
            && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
            ? new Descriptor(mediaType, digest, size)
            : null;
    }

    private async Task WriteRecordAsync(string path, Descriptor compressed, CancellationToken cancellationToken)
    {
        var record = System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{compressed.Digest} {compressed.Size}\n"));
        await Content.AtomicFile.WriteAsync(path, record, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>How layers are compressed on their way out of the store: gzip or zstd, a level (null: the default), and whether
/// layers compressed the other way are recompressed (BuildKit's <c>force-compression</c>).</summary>
public sealed record CompressionChoice(LayerCompression Kind, int? Level = null, bool Force = false)
{
    public static CompressionChoice Default { get; } = new(LayerCompression.Gzip);
}
