using System.Formats.Tar;
using System.Text.Json;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.References;

namespace Builder.Oci.Archives;

/// <summary>The archive formats an image can be saved as.</summary>
public enum ArchiveFormat
{
    /// <summary>An OCI image layout (<c>oci-layout</c>, <c>index.json</c>, <c>blobs/</c>).</summary>
    Oci,

    /// <summary>What <c>docker save</c> writes and <c>docker load</c> reads: manifest.json, configs, layer tars.</summary>
    Docker,
}

/// <summary>
/// Writes images out of the store: as an OCI layout directory, or as an OCI or docker-archive tar stream.
/// Blobs are streamed from the store; nothing is held in memory but the small JSON files.
/// </summary>
public static class ImageExport
{
    /// <summary>containerd's annotation for the full image name next to the OCI <c>ref.name</c> (the tag).</summary>
    public const string ContainerdNameAnnotation = "io.containerd.image.name";

    /// <summary>
    /// Writes <paramref name="image"/> into the OCI layout at <paramref name="directory"/> (created, or added to when
    /// it already is a layout), naming it <paramref name="name"/>.
    /// </summary>
    public static Task WriteLayoutDirectoryAsync(IImage image, ImageReference? name, string directory, CancellationToken cancellationToken) =>
        WriteLayoutDirectoryAsync([.. Blobs(image)], image.Descriptor, name, directory, cancellationToken);

    /// <summary>
    /// Writes the multi-platform image <paramref name="index"/> (the index and each of its images <paramref name="content"/>
    /// holds) into the OCI layout at <paramref name="directory"/>, as <see cref="WriteLayoutDirectoryAsync(IImage, ImageReference?, string, CancellationToken)"/>.
    /// </summary>
    public static async Task WriteLayoutDirectoryAsync(IContentProvider content, Descriptor index, ImageReference? name, string directory,
        CancellationToken cancellationToken) =>
        await WriteLayoutDirectoryAsync(await TreeBlobsAsync(content, index, cancellationToken).ConfigureAwait(false), index, name, directory, cancellationToken)
            .ConfigureAwait(false);

    private static async Task WriteLayoutDirectoryAsync(IReadOnlyList<(Descriptor Descriptor, Func<CancellationToken, Task<Stream>> Open)> blobs, Descriptor top,
        ImageReference? name, string directory, CancellationToken cancellationToken)
    {
        foreach (var (descriptor, open) in blobs)
        {
            var path = Path.Combine(directory, BlobPath(descriptor.Digest));
            if (File.Exists(path))
            {
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using var source = await open(cancellationToken).ConfigureAwait(false);
            await WriteVerifiedAsync(source, descriptor, path, cancellationToken).ConfigureAwait(false);
        }
        var layoutFile = Path.Combine(directory, OciLayout.FileName);
        if (!File.Exists(layoutFile))
        {
            await ReplaceFileAsync(layoutFile, OciJson.Serialize(OciLayout.Current, OciJson.Layout), cancellationToken).ConfigureAwait(false);
        }
        // Add to an existing index, replacing an entry of the same name.
        var indexFile = Path.Combine(directory, OciLayoutStore.IndexFileName);
        var manifests = File.Exists(indexFile)
            ? OciJson.Deserialize(await File.ReadAllBytesAsync(indexFile, cancellationToken).ConfigureAwait(false), OciJson.Index).Manifests
            : [];
        var annotations = name is null ? null : NameAnnotations(name);
        var refName = annotations?[OciLayoutStore.RefNameAnnotation];
        var entries = manifests
            .Where(m => refName is null ? m.Digest != top.Digest : m.Annotations?.GetValueOrDefault(OciLayoutStore.RefNameAnnotation) != refName)
            .Append(top with { Annotations = annotations, Platform = null })
            .ToList();
        await ReplaceFileAsync(indexFile, OciJson.Serialize(ImageIndex.Oci(entries), OciJson.Index), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies a blob to <paramref name="path"/> through a temporary file, checking its size and digest first.</summary>
    private static async Task WriteVerifiedAsync(Stream source, Descriptor descriptor, string path, CancellationToken cancellationToken)
    {
        var temporary = path + $".{Guid.NewGuid():N}.tmp";
        try
        {
            using var hash = descriptor.Digest.CreateHash();
            long size = 0;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    size += read;
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
                file.Flush(flushToDisk: true);
            }
            var digest = Digest.FromHash(descriptor.Digest.Algorithm, hash.GetHashAndReset());
            if (digest != descriptor.Digest || size != descriptor.Size)
            {
                throw new InvalidDataException($"blob {descriptor.Digest} read back as {digest} ({size} bytes, expected {descriptor.Size})");
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static async Task ReplaceFileAsync(string path, byte[] content, CancellationToken cancellationToken)
    {
        var temporary = path + $".{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(temporary, content, cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Writes <paramref name="image"/> as a tar stream in <paramref name="format"/>.</summary>
    public static async Task WriteTarAsync(IImage image, ImageReference? name, ArchiveFormat format, Stream output, CancellationToken cancellationToken)
    {
        var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        await using (tar.ConfigureAwait(false))
        {
            if (format == ArchiveFormat.Oci)
            {
                await WriteOciTarAsync(tar, image, name, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await WriteDockerTarAsync(tar, image, name, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes the tar to <paramref name="path"/> through a temporary file, so a failure leaves no half-written archive.</summary>
    public static Task WriteTarFileAsync(IImage image, ImageReference? name, ArchiveFormat format, string path, CancellationToken cancellationToken) =>
        WriteFileAtomicallyAsync(path, file => WriteTarAsync(image, name, format, file, cancellationToken), cancellationToken);

    /// <summary>
    /// Writes the multi-platform image <paramref name="index"/> (the index and each of its images <paramref name="content"/>
    /// holds) as an OCI layout tar at <paramref name="path"/>, through a temporary file. (A docker-archive holds one image per
    /// config and no index, so a multi-platform image is saved as OCI, or one platform of it as either.)
    /// </summary>
    public static Task WriteIndexTarFileAsync(IContentProvider content, Descriptor index, ImageReference? name, string path, CancellationToken cancellationToken) =>
        WriteFileAtomicallyAsync(path, async file =>
        {
            var tar = new TarWriter(file, TarEntryFormat.Pax, leaveOpen: true);
            await using (tar.ConfigureAwait(false))
            {
                await WriteOciTarAsync(tar, await TreeBlobsAsync(content, index, cancellationToken).ConfigureAwait(false), index, name, cancellationToken)
                    .ConfigureAwait(false);
            }
        }, cancellationToken);

    private static async Task WriteFileAtomicallyAsync(string path, Func<Stream, Task> write, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        // Checked first so the error names the user's path, not the temporary file beside it.
        if (Directory.Exists(full))
        {
            throw new IOException($"{path}: is a directory");
        }
        if (!Directory.Exists(Path.GetDirectoryName(full)))
        {
            throw new DirectoryNotFoundException($"{path}: no such file or directory");
        }
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await write(file).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static Task WriteOciTarAsync(TarWriter tar, IImage image, ImageReference? name, CancellationToken cancellationToken) =>
        WriteOciTarAsync(tar, [.. Blobs(image)], image.Descriptor, name, cancellationToken);

    private static async Task WriteOciTarAsync(TarWriter tar, IReadOnlyList<(Descriptor Descriptor, Func<CancellationToken, Task<Stream>> Open)> blobs,
        Descriptor top, ImageReference? name, CancellationToken cancellationToken)
    {
        await WriteFileAsync(tar, OciLayout.FileName, OciJson.Serialize(OciLayout.Current, OciJson.Layout), cancellationToken).ConfigureAwait(false);
        var entry = top with { Annotations = name is null ? null : NameAnnotations(name), Platform = null };
        await WriteFileAsync(tar, OciLayoutStore.IndexFileName, OciJson.Serialize(ImageIndex.Oci([entry]), OciJson.Index), cancellationToken).ConfigureAwait(false);
        await WriteDirectoryAsync(tar, "blobs/", cancellationToken).ConfigureAwait(false);
        await WriteDirectoryAsync(tar, "blobs/sha256/", cancellationToken).ConfigureAwait(false);
        foreach (var (descriptor, open) in blobs)
        {
            await using var source = await open(cancellationToken).ConfigureAwait(false);
            await WriteFileAsync(tar, BlobPath(descriptor.Digest), source, descriptor.Size, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The OCI <c>ref.name</c> is the tag (what <c>oci:DIR:TAG</c> selects); containerd's names the image.</summary>
    public static IReadOnlyDictionary<string, string> NameAnnotations(ImageReference name) => new Dictionary<string, string>
    {
        [OciLayoutStore.RefNameAnnotation] = name.Tag ?? ImageReference.DefaultTag,
        [ContainerdNameAnnotation] = name.ToString(),
    };

    // docker-archive: layers are uncompressed tars named by diffID, the config is <id>.json (docker save's layout).
    private static async Task WriteDockerTarAsync(TarWriter tar, IImage image, ImageReference? name, CancellationToken cancellationToken)
    {
        var configFile = image.Config.Digest.Hex + ".json";
        await WriteFileAsync(tar, configFile, image.Config.Bytes, cancellationToken).ConfigureAwait(false);
        var layerFiles = new List<string>();
        foreach (var layer in image.Layers)
        {
            var file = $"{layer.DiffId.Hex}/layer.tar";
            if (layerFiles.Contains(file))
            {
                layerFiles.Add(file); // the same layer twice in one image is written once
                continue;
            }
            await WriteDirectoryAsync(tar, layer.DiffId.Hex + "/", cancellationToken).ConfigureAwait(false);
            await WriteUncompressedLayerAsync(tar, file, layer, cancellationToken).ConfigureAwait(false);
            layerFiles.Add(file);
        }
        var tags = name is null ? [] : new[] { name.FamiliarString };
        var manifest = new[] { new DockerArchiveManifest(configFile, tags, layerFiles) };
        await WriteFileAsync(tar, "manifest.json", JsonSerializer.SerializeToUtf8Bytes(manifest, ArchiveJson.Default.DockerArchiveManifestArray), cancellationToken)
            .ConfigureAwait(false);
        if (name is not null)
        {
            var repositories = new Dictionary<string, Dictionary<string, string>>
            {
                [name.FamiliarName] = new() { [name.Tag ?? ImageReference.DefaultTag] = image.Config.Digest.Hex },
            };
            await WriteFileAsync(tar, "repositories", JsonSerializer.SerializeToUtf8Bytes(repositories, ArchiveJson.Default.DictionaryStringDictionaryStringString),
                cancellationToken).ConfigureAwait(false);
        }
    }

    // A tar entry needs its size up front, and a compressed layer's uncompressed size is only known after
    // decompressing it, so it goes through a temporary file.
    private static async Task WriteUncompressedLayerAsync(TarWriter tar, string file, ILayer layer, CancellationToken cancellationToken)
    {
        var temporary = Path.Combine(Path.GetTempPath(), $"builder-layer-{Guid.NewGuid():N}.tar");
        await using var buffer = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await using (var uncompressed = await layer.OpenUncompressedAsync(cancellationToken).ConfigureAwait(false))
        {
            await uncompressed.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        buffer.Position = 0;
        await WriteFileAsync(tar, file, buffer, buffer.Length, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every blob of the image with a way to open it: layers, then config, then manifest.</summary>
    private static IEnumerable<(Descriptor Descriptor, Func<CancellationToken, Task<Stream>> Open)> Blobs(IImage image)
    {
        var seen = new HashSet<Digest>();
        foreach (var layer in image.Layers.Where(l => seen.Add(l.Descriptor.Digest)))
        {
            yield return (layer.Descriptor, layer.OpenCompressedAsync);
        }
        yield return (image.Config.Descriptor, _ => Task.FromResult<Stream>(new MemoryStream(image.Config.Bytes.ToArray(), writable: false)));
        yield return (image.Descriptor, _ => Task.FromResult<Stream>(new MemoryStream(image.Manifest.Bytes.ToArray(), writable: false)));
    }

    /// <summary>
    /// Every blob under <paramref name="top"/> the store holds, children before parents, each once: an index's images
    /// (a pulled index lists platforms never fetched: those are left out), then the index.
    /// </summary>
    private static async Task<IReadOnlyList<(Descriptor Descriptor, Func<CancellationToken, Task<Stream>> Open)>> TreeBlobsAsync(
        IContentProvider content, Descriptor top, CancellationToken cancellationToken)
    {
        var blobs = new List<(Descriptor, Func<CancellationToken, Task<Stream>>)>();
        var seen = new HashSet<Digest>();
        void Add(Descriptor blob)
        {
            if (seen.Add(blob.Digest))
            {
                blobs.Add((blob, ct => content.OpenReadAsync(blob.Digest, ct)));
            }
        }
        if (MediaTypes.IsIndex(top.MediaType))
        {
            foreach (var child in (await content.ReadIndexAsync(top, cancellationToken).ConfigureAwait(false)).Value.Manifests)
            {
                if (await content.ExistsAsync(child.Digest, cancellationToken).ConfigureAwait(false))
                {
                    foreach (var (blob, _) in await TreeBlobsAsync(content, child, cancellationToken).ConfigureAwait(false))
                    {
                        Add(blob);
                    }
                }
            }
        }
        else if (MediaTypes.IsManifest(top.MediaType))
        {
            var manifest = await content.ReadManifestAsync(top, cancellationToken).ConfigureAwait(false);
            foreach (var layer in manifest.Value.Layers)
            {
                Add(layer);
            }
            Add(manifest.Value.Config);
        }
        Add(top);
        return blobs;
    }

    private static string BlobPath(Digest digest) => $"blobs/{digest.Algorithm}/{digest.Hex}";

    private static Task WriteFileAsync(TarWriter tar, string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        WriteFileAsync(tar, name, new MemoryStream(content.ToArray(), writable: false), content.Length, cancellationToken);

    private static async Task WriteFileAsync(TarWriter tar, string name, Stream content, long size, CancellationToken cancellationToken)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            ModificationTime = DateTimeOffset.UnixEpoch,
            DataStream = size == content.Length ? content : throw new InvalidDataException($"{name}: expected {size} bytes, found {content.Length}"),
        };
        await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteDirectoryAsync(TarWriter tar, string name, CancellationToken cancellationToken)
    {
        var entry = new PaxTarEntry(TarEntryType.Directory, name)
        {
            Mode = (UnixFileMode)Convert.ToInt32("755", 8),
            ModificationTime = DateTimeOffset.UnixEpoch,
        };
        await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
    }
}
