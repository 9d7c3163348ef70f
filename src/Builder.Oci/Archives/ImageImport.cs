using System.Formats.Tar;
using System.Text.Json;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.Layers;
using Builder.Oci.References;

namespace Builder.Oci.Archives;

/// <summary>An image brought into the store, with the name its archive gave it (if any).</summary>
public sealed record LoadedImage(ImageReference? Name, Descriptor Target);

/// <summary>
/// Brings images into the store: from a root filesystem (a new one-layer base image), or from an OCI layout
/// or docker-archive (a directory or a tar). Every blob is verified against its digest on the way in.
/// </summary>
public static class ImageImport
{
    /// <summary>
    /// Makes a one-layer image from a root filesystem: a directory, or a tar (gzip/zstd allowed). Returns the
    /// manifest; the caller tags it.
    /// </summary>
    public static async Task<Blob<ImageManifest>> ImportRootfsAsync(OciLayoutStore store, string source, Platform platform,
        DateTimeOffset created, LayerWriterOptions? options, CancellationToken cancellationToken)
    {
        options ??= new LayerWriterOptions();
        LayerDescriptor layer;
        await using (var writer = await store.OpenWriterAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Directory.Exists(source))
            {
                layer = await LayerWriter.WriteDirectoryAsync(source, writer.Stream, options, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await using var tar = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
                layer = await TarLayer.WriteAsync(tar, writer.Stream, options, cancellationToken).ConfigureAwait(false);
            }
            await writer.CommitAsync(layer.Compressed.MediaType, layer.Compressed.Digest, layer.Compressed.Size, cancellationToken).ConfigureAwait(false);
        }
        var config = ImageConfig.Empty(platform) with
        {
            Created = created,
            Config = new ContainerConfig { Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] },
            RootFs = RootFs.Layers([layer.DiffId]),
            History = [new HistoryEntry { Created = created, CreatedBy = "builder import", Comment = "imported from " + Path.GetFileName(source.TrimEnd('/')) }],
        };
        return await ImageWriter.WriteAsync(store, config, [layer.Compressed], null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Loads every image of an OCI layout or docker-archive, as a directory or a tar file. Anything else is an
    /// <see cref="InvalidDataException"/> naming <paramref name="path"/>: "PATH is not a docker-archive or OCI layout: why".
    /// </summary>
    public static async Task<IReadOnlyList<LoadedImage>> LoadAsync(OciLayoutStore store, string path, CancellationToken cancellationToken)
    {
        if (Directory.Exists(path))
        {
            return await LoadDirectoryAsync(store, path, path, cancellationToken).ConfigureAwait(false);
        }
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"load: {path}: no such file or directory", path);
        }
        var unpacked = Directory.CreateTempSubdirectory("builder-load-").FullName;
        try
        {
            try
            {
                await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
                await ExtractArchiveAsync(await LayerDecompression.OpenUncompressedAsync(file, cancellationToken).ConfigureAwait(false), unpacked, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or ZstdSharp.ZstdException)
            {
                // What TarReader and the decompressors throw on bytes that are not a (compressed) tar.
                throw NotAnArchive(path, e.Message);
            }
            return await LoadDirectoryAsync(store, unpacked, path, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Directory.Delete(unpacked, recursive: true);
        }
    }

    private static InvalidDataException NotAnArchive(string path, string reason) =>
        new($"load: {path} is not a docker-archive or OCI layout: {reason}");

    /// <summary>Loads an unpacked layout or archive; <paramref name="shown"/> is the path the user gave.</summary>
    private static async Task<IReadOnlyList<LoadedImage>> LoadDirectoryAsync(OciLayoutStore store, string directory, string shown, CancellationToken cancellationToken)
    {
        try
        {
            if (File.Exists(Path.Combine(directory, OciLayout.FileName)) && File.Exists(Path.Combine(directory, OciLayoutStore.IndexFileName)))
            {
                return await LoadLayoutAsync(store, directory, cancellationToken).ConfigureAwait(false);
            }
            if (File.Exists(Path.Combine(directory, "manifest.json")))
            {
                return await LoadDockerArchiveAsync(store, directory, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (JsonException e)
        {
            throw NotAnArchive(shown, e.Message);
        }
        throw NotAnArchive(shown, $"it has neither {OciLayout.FileName} and {OciLayoutStore.IndexFileName} nor manifest.json");
    }

    private static async Task<IReadOnlyList<LoadedImage>> LoadLayoutAsync(OciLayoutStore store, string directory, CancellationToken cancellationToken)
    {
        var source = await OciLayoutReader.OpenAsync(directory, cancellationToken).ConfigureAwait(false);
        var loaded = new List<LoadedImage>();
        foreach (var entry in source.Index.Manifests)
        {
            await CopyTreeAsync(source, store, entry, cancellationToken).ConfigureAwait(false);
            loaded.Add(new LoadedImage(NameOf(entry), entry));
        }
        return loaded;
    }

    /// <summary>The full name an index entry carries: containerd's annotation, or a ref.name that is a full reference.</summary>
    private static ImageReference? NameOf(Descriptor entry)
    {
        var annotations = entry.Annotations;
        if (annotations?.GetValueOrDefault(ImageExport.ContainerdNameAnnotation) is { } full && ImageReference.TryParse(full, out var name))
        {
            return name;
        }
        var refName = annotations?.GetValueOrDefault(OciLayoutStore.RefNameAnnotation);
        return refName is not null && (refName.Contains('/') || refName.Contains(':')) && ImageReference.TryParse(refName, out var reference) ? reference : null;
    }

    /// <summary>Copies a manifest or index and everything it refers to, children before parents.</summary>
    private static async Task CopyTreeAsync(OciLayoutReader source, OciLayoutStore store, Descriptor descriptor, CancellationToken cancellationToken)
    {
        if (MediaTypes.IsIndex(descriptor.MediaType))
        {
            var index = OciJson.ParseIndex(await source.ReadAllAsync(descriptor, cancellationToken).ConfigureAwait(false), descriptor.MediaType);
            foreach (var child in index.Value.Manifests)
            {
                await CopyTreeAsync(source, store, child, cancellationToken).ConfigureAwait(false);
            }
        }
        else if (MediaTypes.IsManifest(descriptor.MediaType))
        {
            var manifest = OciJson.ParseManifest(await source.ReadAllAsync(descriptor, cancellationToken).ConfigureAwait(false), descriptor.MediaType);
            foreach (var blob in manifest.Value.Layers.Prepend(manifest.Value.Config))
            {
                await CopyBlobAsync(source, store, blob, cancellationToken).ConfigureAwait(false);
            }
        }
        await CopyBlobAsync(source, store, descriptor, cancellationToken).ConfigureAwait(false);
    }

    private static async Task CopyBlobAsync(OciLayoutReader source, OciLayoutStore store, Descriptor blob, CancellationToken cancellationToken)
    {
        if (await store.ExistsAsync(blob.Digest, cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        await using var stream = source.OpenRead(blob.Digest);
        await store.IngestAsync(stream, blob.MediaType, blob.Digest, blob.Size, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<LoadedImage>> LoadDockerArchiveAsync(OciLayoutStore store, string directory, CancellationToken cancellationToken)
    {
        var manifests = JsonSerializer.Deserialize(await File.ReadAllBytesAsync(Path.Combine(directory, "manifest.json"), cancellationToken).ConfigureAwait(false),
            ArchiveJson.Default.DockerArchiveManifestArray) ?? [];
        var loaded = new List<LoadedImage>();
        foreach (var entry in manifests)
        {
            if (entry?.Config is null || entry.Layers is null)
            {
                throw new JsonException("manifest.json: an image lacks Config or Layers");
            }
            // The config keeps its exact bytes: its digest is the image ID docker shows.
            var configBytes = await File.ReadAllBytesAsync(SafePath(directory, entry.Config), cancellationToken).ConfigureAwait(false);
            var config = OciJson.ParseConfig(configBytes);
            await store.WriteBlobAsync(config, cancellationToken).ConfigureAwait(false);
            var diffIds = config.Value.RootFs.DiffIds;
            if (diffIds.Count != entry.Layers.Count)
            {
                throw new InvalidDataException($"{entry.Config} lists {diffIds.Count} diff_ids for {entry.Layers.Count} layers");
            }
            var layers = new List<Descriptor>();
            for (var i = 0; i < entry.Layers.Count; i++)
            {
                layers.Add(await LoadDockerLayerAsync(store, SafePath(directory, entry.Layers[i]), diffIds[i], cancellationToken).ConfigureAwait(false));
            }
            var manifest = OciJson.ToBlob(ImageManifest.Oci(config.Descriptor, layers));
            await store.WriteBlobAsync(manifest, cancellationToken).ConfigureAwait(false);
            var tags = entry.RepoTags ?? [];
            if (tags.Count == 0)
            {
                loaded.Add(new LoadedImage(null, manifest.Descriptor));
            }
            foreach (var tag in tags)
            {
                loaded.Add(new LoadedImage(ImageReference.TryParse(tag, out var name, out var error) ? name : throw new JsonException($"manifest.json: {error}"),
                    manifest.Descriptor));
            }
        }
        return loaded;
    }

    /// <summary>A docker-archive layer is usually a plain tar (its digest is then the diffID); a compressed one is checked by decompressing.</summary>
    private static async Task<Descriptor> LoadDockerLayerAsync(OciLayoutStore store, string path, Digest diffId, CancellationToken cancellationToken)
    {
        var compression = LayerCompression.None;
        await using (var probe = File.OpenRead(path))
        {
            var magic = new byte[4];
            var read = await probe.ReadAtLeastAsync(magic, magic.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            compression = LayerDecompression.Detect(magic.AsSpan(0, read));
        }
        if (compression != LayerCompression.None)
        {
            await using var compressed = File.OpenRead(path);
            await using var tar = await LayerDecompression.OpenUncompressedAsync(compressed, cancellationToken).ConfigureAwait(false);
            using var hash = diffId.CreateHash();
            var buffer = new byte[1 << 16];
            int n;
            while ((n = await tar.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, n);
            }
            var actual = Digest.FromHash(diffId.Algorithm, hash.GetHashAndReset());
            if (actual != diffId)
            {
                throw new InvalidDataException($"{path}: uncompressed digest {actual} is not the diff_id {diffId}");
            }
        }
        await using var stream = File.OpenRead(path);
        var mediaType = compression switch
        {
            LayerCompression.Gzip => MediaTypes.OciLayerGzip,
            LayerCompression.Zstd => MediaTypes.OciLayerZstd,
            _ => MediaTypes.OciLayer,
        };
        return await store.IngestAsync(stream, mediaType, compression == LayerCompression.None ? diffId : null, null, cancellationToken).ConfigureAwait(false);
    }

    private static string SafePath(string directory, string relative)
    {
        var full = Path.GetFullPath(Path.Combine(directory, relative));
        return full.StartsWith(Path.GetFullPath(directory) + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? full
            : throw new InvalidDataException($"archive entry \"{relative}\" points outside the archive");
    }

    /// <summary>Unpacks an image archive (only its files and directories; nothing may land outside the target).</summary>
    private static async Task ExtractArchiveAsync(Stream tar, string target, CancellationToken cancellationToken)
    {
        await using var reader = new TarReader(tar);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            if (entry.Name.Trim('/') is "" or ".")
            {
                continue;
            }
            var path = SafePath(target, entry.Name.TrimStart('/'));
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(path);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    await entry.ExtractToFileAsync(path, overwrite: true, cancellationToken).ConfigureAwait(false);
                    break;
                case TarEntryType.SymbolicLink or TarEntryType.HardLink:
                    // docker save links identical layer files; copy the target instead of trusting a link.
                    var target2 = SafePath(target, entry.EntryType == TarEntryType.SymbolicLink
                        ? Path.Combine(Path.GetDirectoryName(entry.Name.TrimStart('/')) ?? string.Empty, entry.LinkName)
                        : entry.LinkName.TrimStart('/'));
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.Copy(target2, path, overwrite: true);
                    break;
            }
        }
    }
}
