using Builder.Oci;
using Builder.Oci.Archives;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.Layers;
using Builder.Oci.References;

namespace Builder.Engine.Outputs;

/// <summary>
/// Where a built image goes (<c>--output</c>, MSBuild's <c>BuilderOutput</c>): tagged in the store, an OCI layout or
/// docker-archive, or the files in a directory. Pushing is the caller's (it needs a registry client and credentials);
/// this says which names to push.
/// </summary>
public static class BuildOutputWriter
{
    /// <summary>Writes each output (the store's tags when there are none); returns the names to push.</summary>
    public static async Task<IReadOnlyList<ImageReference>> WriteAsync(OciLayoutStore store, Descriptor manifest, IReadOnlyList<BuildOutput> outputs,
        IReadOnlyList<ImageReference> names, CancellationToken cancellationToken)
    {
        var push = new List<ImageReference>();
        foreach (var output in outputs.DefaultIfEmpty(new BuildOutput(BuildOutputType.Image)))
        {
            var outputNames = names.Concat(output.Names.Select(Name)).ToList();
            switch (output.Type)
            {
                case BuildOutputType.Image or BuildOutputType.Registry:
                    foreach (var name in outputNames)
                    {
                        await store.SetAsync(name, manifest, cancellationToken).ConfigureAwait(false);
                    }
                    if (output.Push)
                    {
                        push.AddRange(outputNames);
                    }
                    break;
                case BuildOutputType.Docker when MediaTypes.IsIndex(manifest.MediaType):
                    // BuildKit's words: a docker-archive holds no index (docker load takes one image per config).
                    throw new BuildException("docker exporter does not currently support exporting manifest lists: use type=oci, or push");
                case BuildOutputType.Oci when MediaTypes.IsIndex(manifest.MediaType):
                    var index = await new ImageCompression(store, output.Compression).CompressAsync(manifest, cancellationToken).ConfigureAwait(false);
                    await WriteToAsync("--output", output.Destination!, () => output.Tar
                        ? ImageExport.WriteIndexTarFileAsync(store, index, outputNames.FirstOrDefault(), output.Destination!, cancellationToken)
                        : ImageExport.WriteLayoutDirectoryAsync(store, index, outputNames.FirstOrDefault(), output.Destination!, cancellationToken)).ConfigureAwait(false);
                    break;
                case BuildOutputType.Oci or BuildOutputType.Docker:
                    var format = output.Type == BuildOutputType.Oci ? ArchiveFormat.Oci : ArchiveFormat.Docker;
                    // An OCI export carries gzip layers, as a push does; a docker-archive the plain tars docker load reads.
                    var exported = format == ArchiveFormat.Oci ? await new ImageCompression(store, output.Compression).CompressAsync(manifest, cancellationToken).ConfigureAwait(false) : manifest;
                    var image = await StoredImage.LoadAsync(store, exported, null, cancellationToken).ConfigureAwait(false);
                    await WriteToAsync("--output", output.Destination!, () => output.Tar
                        ? ImageExport.WriteTarFileAsync(image, outputNames.FirstOrDefault(), format, output.Destination!, cancellationToken)
                        : ImageExport.WriteLayoutDirectoryAsync(image, outputNames.FirstOrDefault(), output.Destination!, cancellationToken)).ConfigureAwait(false);
                    break;
                case BuildOutputType.Local when MediaTypes.IsIndex(manifest.MediaType):
                    // BuildKit's layout: one directory per platform, os_architecture[_variant].
                    foreach (var child in (await store.ReadIndexAsync(manifest, cancellationToken).ConfigureAwait(false)).Value.Manifests)
                    {
                        var platform = child.Platform ?? throw new BuildException($"index {manifest.Digest} has an image without a platform");
                        var directory = Path.Combine(output.Destination!, string.Join('_', new[] { platform.Os, platform.Architecture, platform.Variant }.OfType<string>()));
                        await WriteFilesAsync(store, child, directory, cancellationToken).ConfigureAwait(false);
                    }
                    break;
                case BuildOutputType.Local:
                    await WriteFilesAsync(store, manifest, output.Destination!, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
        return push;
    }

    /// <summary>The image's files in <paramref name="directory"/> (type=local).</summary>
    private static async Task WriteFilesAsync(OciLayoutStore store, Descriptor manifest, string directory, CancellationToken cancellationToken)
    {
        var files = await StoredImage.LoadAsync(store, manifest, null, cancellationToken).ConfigureAwait(false);
        await WriteToAsync("--output", directory, () => Task.FromResult(Directory.CreateDirectory(directory))).ConfigureAwait(false);
        foreach (var layer in files.Layers)
        {
            await using var tar = await layer.OpenUncompressedAsync(cancellationToken).ConfigureAwait(false);
            await LayerApplier.ApplyAsync(tar, directory, null, cancellationToken).ConfigureAwait(false);
        }
    }

    private static ImageReference Name(string text) =>
        ImageReference.TryParse(text, out var reference, out var error) ? reference : throw new BuildException($"--output name={text}: {error}");

    /// <summary>
    /// Runs a write to <paramref name="path"/>, which <paramref name="flag"/> gave (<c>--output</c>, <c>--iidfile</c>); an
    /// I/O failure is one BuildException naming both, in a shell's words rather than .NET's.
    /// </summary>
    public static async Task WriteToAsync(string flag, string path, Func<Task> write)
    {
        try
        {
            await write().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var reason = e switch
            {
                FileNotFoundException or DirectoryNotFoundException => "no such file or directory",
                UnauthorizedAccessException when Directory.Exists(path) => "is a directory",
                UnauthorizedAccessException => "permission denied",
                // A writer's own message may name the path already: not "--output d: d: is a directory".
                _ when e.Message.StartsWith(path + ": ", StringComparison.Ordinal) => e.Message[(path.Length + 2)..],
                _ => e.Message,
            };
            throw new BuildException($"{flag} {path}: {reason}", e);
        }
    }
}
