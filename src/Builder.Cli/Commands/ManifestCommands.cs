using System.CommandLine;
using Builder.Oci.Images;
using Builder.Registry;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder manifest</c>: one multi-platform image out of single-platform ones already in registries (each built and
/// pushed on its own runner), as <c>docker manifest</c> does: create, inspect, push, rm.
/// </summary>
internal static class ManifestCommands
{
    public static Command Create(CliIo io)
    {
        return new Command("manifest", "Make one multi-platform image out of images in registries") { CreateList(io), Inspect(io), Push(io), Remove(io) };
    }

    private static Command CreateList(CliIo io)
    {
        var name = new Argument<string>("NAME") { Description = "The multi-platform image to make" };
        var sources = new Argument<string[]>("SOURCE") { Description = "Images in a registry (each single- or multi-platform)", Arity = ArgumentArity.OneOrMore };
        var amend = new Option<bool>("--amend", "-a") { Description = "Add to (or replace in) an existing list of that name" };
        var insecure = RegistryCommands.InsecureRegistryOption();
        var command = new Command("create", "Make a local manifest list from images in registries (their manifests and configs are read, never their layers)")
        {
            name, sources, amend, insecure,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var listName = ImageCommands.ParseReference(result.GetValue(name)!);
            var store = await OpenAsync(cancellationToken);
            var existing = await store.LoadAsync(listName.ToString(), cancellationToken);
            if (existing is not null && !result.GetValue(amend))
            {
                throw new UsageException($"refusing to amend an existing manifest list with no --amend flag: {listName}");
            }
            using var registries = RegistryAccess.CreateClient(result.GetValue(insecure));
            var made = await ManifestLists.CreateAsync(registries, listName, [.. (result.GetValue(sources) ?? []).Select(ImageCommands.ParseReference)],
                cancellationToken);
            // --amend: the new images replace the old ones of the same platform.
            var kept = existing?.Entries.Where(e => made.Entries.All(m => m.Manifest.Platform != e.Manifest.Platform)) ?? [];
            var list = made with { Entries = [.. kept, .. made.Entries] };
            await store.SaveAsync(list, cancellationToken);
            io.Out.WriteLine($"Created manifest list {listName}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Inspect(CliIo io)
    {
        var name = new Argument<string>("NAME") { Description = "A manifest list made by manifest create" };
        var command = new Command("inspect", "Show a local manifest list as the OCI index it will push") { name };
        command.SetAction(async (result, cancellationToken) =>
        {
            var list = await LoadAsync(result.GetValue(name)!, cancellationToken);
            io.Out.WriteLine(System.Text.Encoding.UTF8.GetString(list.Index().Bytes.Span));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Push(CliIo io)
    {
        var name = new Argument<string>("NAME") { Description = "A manifest list made by manifest create" };
        var destination = new Argument<string?>("DESTINATION") { Description = "Where to push it (default: its name)", Arity = ArgumentArity.ZeroOrOne };
        var purge = new Option<bool>("--purge", "-p") { Description = "Remove the local list once pushed" };
        var insecure = RegistryCommands.InsecureRegistryOption();
        var command = new Command("push", "Push a manifest list to a registry as an OCI image index") { name, destination, purge, insecure };
        command.SetAction(async (result, cancellationToken) =>
        {
            var list = await LoadAsync(result.GetValue(name)!, cancellationToken);
            var target = ImageCommands.ParseReference(result.GetValue(destination) ?? list.Name);
            using var registries = RegistryAccess.CreateClient(result.GetValue(insecure));
            var progress = new RegistryCommands.SynchronousProgress(e => io.Error.WriteLine(e.Status switch
            {
                TransferStatus.AlreadyExists => $"{e.Digest}: already exists",
                TransferStatus.Mounted => $"{e.Digest}: mounted from {e.Source}",
                _ => $"{e.Digest}: copied",
            }));
            var index = await ManifestLists.PushAsync(registries, list, target, progress, cancellationToken);
            if (result.GetValue(purge))
            {
                (await OpenAsync(cancellationToken)).Remove(list.Name);
            }
            io.Out.WriteLine(index.Digest);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Remove(CliIo io)
    {
        var names = new Argument<string[]>("NAME") { Description = "Manifest lists made by manifest create", Arity = ArgumentArity.OneOrMore };
        var command = new Command("rm", "Remove local manifest lists") { names };
        command.SetAction(async (result, cancellationToken) =>
        {
            var store = await OpenAsync(cancellationToken);
            foreach (var name in result.GetValue(names) ?? [])
            {
                if (!store.Remove(ImageCommands.ParseReference(name).ToString()))
                {
                    throw new UsageException($"no such manifest list: {name}");
                }
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<ManifestListStore> OpenAsync(CancellationToken cancellationToken)
    {
        using var images = await LocalImages.OpenAsync(cancellationToken);
        return new ManifestListStore(images.Store.Layout.ManifestLists);
    }

    private static async Task<ManifestList> LoadAsync(string name, CancellationToken cancellationToken) =>
        await (await OpenAsync(cancellationToken)).LoadAsync(ImageCommands.ParseReference(name).ToString(), cancellationToken)
        ?? throw new UsageException($"no such manifest list: {name} (make it with builder manifest create)");
}
