using System.CommandLine;
using System.Text.Json;
using Builder.Oci;
using Builder.Oci.Archives;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.Layers;
using Builder.Oci.References;
using Builder.Cli.Rendering;

namespace Builder.Cli.Commands;

/// <summary>The verbs over the local image store: import, images, inspect, save, load, rmi, prune.</summary>
internal static class ImageCommands
{
    public static IEnumerable<Command> Create(CliIo io) => [Import(io), Images(io), Inspect(io), Save(io), Load(io), Rmi(io), Prune(io)];

    private static Command Import(CliIo io)
    {
        var source = new Argument<string>("ROOTFS") { Description = "A root filesystem: a directory, or a tar (.tar, .tar.gz, .tar.zst)" };
        var tag = new Option<string>("--tag", "-t") { Description = "Name for the new image", Required = true };
        var platform = new Option<string?>("--platform") { Description = "The image's platform (default: this machine's)" };
        var command = new Command("import", "Make a one-layer base image from a root filesystem") { source, tag, platform };
        command.SetAction(async (result, cancellationToken) =>
        {
            var name = ParseReference(result.GetValue(tag)!);
            var path = result.GetValue(source)!;
            if (!Directory.Exists(path) && !File.Exists(path))
            {
                throw new FileNotFoundException($"{path}: no such file or directory");
            }
            using var images = await LocalImages.OpenAsync(cancellationToken);
            var options = new LayerWriterOptions { SourceDateEpoch = BuildCommand.ParseSourceDateEpoch(Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH")) };
            var created = options.SourceDateEpoch ?? DateTimeOffset.UtcNow;
            var manifest = await ImageImport.ImportRootfsAsync(images.Store, path, ParsePlatform(result.GetValue(platform)), created, options, cancellationToken);
            await images.Store.SetAsync(name, manifest.Descriptor, cancellationToken);
            io.Out.WriteLine(manifest.Value.Config.Digest);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Images(CliIo io)
    {
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only image IDs" };
        var command = new Command("images", "List the images in the local store") { quiet };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var images = await LocalImages.OpenAsync(cancellationToken);
            var rows = new List<string[]>();
            foreach (var tagged in (await images.Store.ListAsync(cancellationToken)).OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                var reference = ImageReference.Parse(tagged.Name);
                var (id, image, size) = await SummarizeAsync(images.Store, tagged.Target, cancellationToken);
                rows.Add([reference.FamiliarName, reference.Tag ?? "<none>", LocalImages.ShortId(id),
                    LocalImages.HumanAge(image.Config.Value.Created?.Value), LocalImages.HumanSize(size)]);
            }
            if (result.GetValue(quiet))
            {
                foreach (var id in rows.Select(r => r[2]).Distinct())
                {
                    io.Out.WriteLine(id);
                }
                return ExitCodes.Ok;
            }
            Table.Write(io.Out, ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], rows);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// What <c>images</c> shows for a tag: an image's ID and size; for a multi-platform index (as containerd's image store
    /// shows it), the index's digest and the size of every platform held, created as its host (or first held) image.
    /// </summary>
    private static async Task<(Digest Id, StoredImage Image, long Size)> SummarizeAsync(OciLayoutStore store, Descriptor target, CancellationToken cancellationToken)
    {
        static long SizeOf(StoredImage image) => image.Layers.Sum(l => l.Descriptor.Size) + image.Config.Descriptor.Size;
        if (!MediaTypes.IsIndex(target.MediaType))
        {
            var image = await StoredImage.LoadAsync(store, target, null, cancellationToken);
            return (image.Id, image, SizeOf(image));
        }
        var index = (await store.ReadIndexAsync(target, cancellationToken)).Value;
        var held = new List<StoredImage>();
        foreach (var child in index.Manifests)
        {
            if (MediaTypes.IsManifest(child.MediaType) && await store.ExistsAsync(child.Digest, cancellationToken))
            {
                held.Add(await StoredImage.LoadAsync(store, child, null, cancellationToken));
            }
        }
        var host = StoredImage.SelectManifest(index, Platform.Host)?.Digest;
        var shown = held.FirstOrDefault(i => i.Descriptor.Digest == host) ?? held.FirstOrDefault()
            ?? throw new InvalidDataException($"index {target.Digest} holds no image of the store");
        return (target.Digest, shown, held.Sum(SizeOf));
    }

    private static Command Inspect(CliIo io)
    {
        var reference = new Argument<string>("IMAGE") { Description = "Image name or ID" };
        var platform = new Option<string?>("--platform") { Description = "Which image of a multi-platform index" };
        var referrers = new Option<bool>("--referrers") { Description = "List the artifacts attached to the image (signatures, SBOM, provenance); a registry's when the store lacks it" };
        var insecure = new Option<string[]>("--insecure-registry") { Description = "With --referrers: a registry to reach without TLS verification (repeatable)" };
        var command = new Command("inspect", "Show an image's manifest and config as JSON") { reference, platform, referrers, insecure };
        command.SetAction(async (result, cancellationToken) =>
        {
            if (result.GetValue(referrers))
            {
                return await SigningCommands.ListReferrersAsync(io, result.GetValue(reference)!, result.GetValue(insecure), cancellationToken);
            }
            using var images = await LocalImages.OpenAsync(cancellationToken);
            var (name, target) = await images.FindAsync(result.GetValue(reference)!, cancellationToken);
            var image = await StoredImage.LoadAsync(images.Store, target, OptionalPlatform(result.GetValue(platform)), cancellationToken);
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                json.WriteStartObject();
                json.WriteString("Name", name?.ToString());
                json.WriteString("Id", image.Id.ToString());
                json.WriteString("Digest", image.Descriptor.Digest.ToString());
                json.WriteString("MediaType", image.Descriptor.MediaType);
                json.WriteNumber("Size", image.Layers.Sum(l => l.Descriptor.Size));
                if (MediaTypes.IsIndex(target.MediaType))
                {
                    // A multi-platform image: its index too (the manifest and config below are one platform's, --platform's).
                    json.WriteString("IndexDigest", target.Digest.ToString());
                    json.WritePropertyName("Index");
                    json.WriteRawValue(await images.Store.ReadBlobAsync(target, cancellationToken));
                }
                json.WritePropertyName("Manifest");
                json.WriteRawValue(image.Manifest.Bytes.Span);
                json.WritePropertyName("Config");
                json.WriteRawValue(image.Config.Bytes.Span);
                json.WriteEndObject();
            }
            io.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Save(CliIo io)
    {
        var reference = new Argument<string>("IMAGE") { Description = "Image name or ID" };
        var output = new Option<string>("--output", "-o") { Description = "The archive to write", Required = true };
        var format = new Option<string>("--format") { Description = "docker (what docker load reads) or oci", DefaultValueFactory = _ => "docker" };
        format.AcceptOnlyFromAmong("docker", "oci");
        var platform = new Option<string?>("--platform") { Description = "Which image of a multi-platform index" };
        var command = new Command("save", "Write an image to a tar archive") { reference, output, format, platform };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var images = await LocalImages.OpenAsync(cancellationToken);
            var (name, target) = await images.FindAsync(result.GetValue(reference)!, cancellationToken);
            var archiveFormat = result.GetValue(format) == "oci" ? ArchiveFormat.Oci : ArchiveFormat.Docker;
            // An OCI archive carries gzip layers, as BuildKit's; a docker-archive holds plain tars anyway.
            if (archiveFormat == ArchiveFormat.Oci)
            {
                target = await new ImageCompression(images.Store).CompressAsync(target, cancellationToken);
            }
            // A multi-platform image saved as OCI is all of it (every platform the store holds); --platform picks one.
            if (archiveFormat == ArchiveFormat.Oci && MediaTypes.IsIndex(target.MediaType) && result.GetValue(platform) is null)
            {
                await ImageExport.WriteIndexTarFileAsync(images.Store, target, name, result.GetValue(output)!, cancellationToken);
                return ExitCodes.Ok;
            }
            var image = await StoredImage.LoadAsync(images.Store, target, OptionalPlatform(result.GetValue(platform)), cancellationToken);
            await ImageExport.WriteTarFileAsync(image, name, archiveFormat, result.GetValue(output)!, cancellationToken);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Load(CliIo io)
    {
        var input = new Option<string>("--input", "-i") { Description = "An OCI or docker archive (tar, or an unpacked directory)", Required = true };
        var command = new Command("load", "Load images from an OCI or docker archive") { input };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var images = await LocalImages.OpenAsync(cancellationToken);
            foreach (var loaded in await ImageImport.LoadAsync(images.Store, result.GetValue(input)!, cancellationToken))
            {
                if (loaded.Name is { } name)
                {
                    await images.Store.SetAsync(name, loaded.Target, cancellationToken);
                    io.Out.WriteLine($"Loaded image: {name.FamiliarString}");
                }
                else
                {
                    io.Out.WriteLine($"Loaded image ID: {loaded.Target.Digest} (untagged: it is kept until the next prune)");
                }
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Rmi(CliIo io)
    {
        var references = new Argument<string[]>("IMAGE") { Description = "Image names", Arity = ArgumentArity.OneOrMore };
        var command = new Command("rmi", "Remove image names (the content goes at the next prune)") { references };
        command.SetAction(async (result, cancellationToken) =>
        {
            using var images = await LocalImages.OpenAsync(cancellationToken);
            var failed = false;
            foreach (var text in result.GetValue(references)!)
            {
                try
                {
                    var (name, _) = await images.FindAsync(text, cancellationToken);
                    await images.Store.RemoveAsync(name!, cancellationToken);
                    io.Out.WriteLine($"Untagged: {name!.FamiliarString}");
                }
                catch (ImageNotFoundException e)
                {
                    io.Error.WriteLine($"error: {e.Message}");
                    failed = true;
                }
            }
            return failed ? ExitCodes.Failure : ExitCodes.Ok;
        });
        return command;
    }

    private static Command Prune(CliIo io)
    {
        var command = new Command("prune", "Delete content no image name refers to");
        command.SetAction(async (result, cancellationToken) =>
        {
            // No lease of its own: prune holds nothing, it sweeps what no live lease holds.
            var store = await OciLayoutStore.OpenAsync(StoreLocation.Resolve(), cancellationToken);
            // Everything under the sweep lock: no build gains a resource while the leases are read and the sweep runs.
            using var sweep = StoreLeases.LockForSweep(store.Root);
            var live = StoreLeases.Collect(store.Root);
            // The build cache goes too (as docker builder prune does); its layers then go with the other unnamed blobs.
            var records = new Engine.Solver.BuildCache(store.Layout.StepCache, store).Clear(live);
            // So does the context stat cache, a hint that only grows (a file it lacks is hashed again, never misread);
            // with it the JSON one that builds before the binary form wrote.
            foreach (var statCache in (string[])[store.Layout.ContextStatCache, store.Layout.ContextStatCache + ".json"])
            {
                try
                {
                    File.Delete(statCache);
                }
                catch (DirectoryNotFoundException)
                {
                    // No cache directory: no stat cache either.
                }
            }
            var pruned = await store.PruneAsync(new PruneOptions { LeasedBlobs = live.Blobs }, cancellationToken);
            // Extracted copies of layers no image has any more (overlay lowers), and what killed builds left, go too.
            var leftovers = await Sandbox.SandboxServices.SweepAsync(store.Root, live);
            var extracted = Sandbox.SandboxServices.PruneLayers(store.Root, await store.LayerDiffIdsAsync(cancellationToken), live);
            io.Out.WriteLine($"Deleted {records} build cache records, {pruned.RemovedBlobs.Count} blobs, {extracted} extracted layers and {leftovers} leftovers of interrupted builds, reclaimed {LocalImages.HumanSize(pruned.BytesFreed)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static ImageReference ParseReference(string text) =>
        ImageReference.TryParse(text, out var reference, out var error) ? reference : throw new UsageException(error);

    public static Platform ParsePlatform(string? text) => OptionalPlatform(text) ?? Platform.Host;

    /// <summary><c>--platform a,b</c>: each one parsed, in order, without repeats; none when not given.</summary>
    public static IReadOnlyList<Platform> ParsePlatforms(string? text) =>
        text is null ? [] : [.. text.Split(',', StringSplitOptions.TrimEntries).Select(p => OptionalPlatform(p)!).Distinct()];

    public static Platform? OptionalPlatform(string? text)
    {
        try
        {
            return text is null ? null : Platform.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
