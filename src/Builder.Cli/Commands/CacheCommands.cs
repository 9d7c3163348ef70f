using System.CommandLine;
using Builder.Cache;
using Builder.Cli.Rendering;
using Builder.Dockerfile.Binding;
using Builder.Oci.Content;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder cache ls|prune</c>: the build cache a registry or an OCI layout directory holds (what <c>--cache-to</c>
/// wrote), and the local one. Only Builder's own entries are listed or deleted.
/// </summary>
internal static class CacheCommands
{
    public static Command Create(CliIo io) => new("cache", "List and prune build caches: exported (registry or directory) and local") { List(io), Prune(io) };

    private static Argument<string> CacheArgument(ArgumentArity arity) => new("CACHE")
    {
        Description = "A cache as --cache-from names it: REG/REPO[:TAG], type=registry,ref=…, or type=local,src=DIR",
        Arity = arity,
    };

    private static Command List(CliIo io)
    {
        var cache = CacheArgument(ArgumentArity.ExactlyOne);
        var insecure = RegistryCommands.InsecureRegistryOption();
        var command = new Command("ls", "List the entries of an exported build cache") { cache, insecure };
        command.SetAction(async (result, cancellationToken) =>
        {
            var spec = Parse(result.GetValue(cache)!);
            using var registries = RegistryAccess.CreateClient(result.GetValue(insecure));
            using var backend = await CacheBackends.OpenAsync(registries, spec, push: false, cancellationToken);
            var rows = (await CacheInventory.ListAsync(backend, spec, cancellationToken))
                .Select(e => new[] { e.Kind, e.Manifest.Hex[..12], LocalImages.HumanAge(e.Created), LocalImages.HumanSize(e.Size), Truncate(e.Description) })
                .ToList();
            Table.Write(io.Out, ["KIND", "ENTRY", "CREATED", "SIZE", "DESCRIPTION"], rows);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Prune(CliIo io)
    {
        var cache = CacheArgument(ArgumentArity.ZeroOrOne);
        var keep = new Option<string>("--keep-duration") { Description = "Keep entries written within this duration (e.g. 168h; default 0s: delete all)" };
        var insecure = RegistryCommands.InsecureRegistryOption();
        var command = new Command("prune", "Delete build cache entries: of an exported cache when CACHE is given, else the local step cache")
        {
            cache, keep, insecure,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var cutoff = DateTimeOffset.UtcNow - KeepDuration(result.GetValue(keep));
            if (result.GetValue(cache) is not { } text)
            {
                return await PruneLocalAsync(io, cutoff, cancellationToken);
            }
            var spec = Parse(text);
            using var registries = RegistryAccess.CreateClient(result.GetValue(insecure));
            using var backend = await CacheBackends.OpenAsync(registries, spec, push: true, cancellationToken);
            var deleted = await CacheInventory.PruneAsync(backend, spec, cutoff, cancellationToken);
            io.Out.WriteLine($"Deleted {deleted.Count} cache entries of {spec.Display}, {LocalImages.HumanSize(deleted.Sum(e => e.Size))} referenced");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Step records written before the cutoff go, then the blobs only they kept (as <c>builder prune</c> sweeps).</summary>
    private static async Task<int> PruneLocalAsync(CliIo io, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var store = await OciLayoutStore.OpenAsync(StoreLocation.Resolve(), cancellationToken);
        using var sweep = StoreLeases.LockForSweep(store.Root);
        var live = StoreLeases.Collect(store.Root);
        var cache = new Engine.Solver.BuildCache(store.Layout.StepCache, store);
        var records = cache.Clear(live, cutoff);
        var kept = await cache.LayersAsync(cancellationToken);
        var pruned = await store.PruneAsync(new PruneOptions { LeasedBlobs = live.Blobs, ExtraRoots = kept }, cancellationToken);
        io.Out.WriteLine($"Deleted {records} build cache records and {pruned.RemovedBlobs.Count} blobs, reclaimed {LocalImages.HumanSize(pruned.BytesFreed)}");
        return ExitCodes.Ok;
    }

    private static CacheSpec Parse(string text)
    {
        try
        {
            return CacheSpecParser.ParseFrom(text);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message.Replace("--cache-from", "CACHE", StringComparison.Ordinal));
        }
    }

    private static TimeSpan KeepDuration(string? text)
    {
        try
        {
            var duration = text is null ? TimeSpan.Zero : GoDuration.Parse(text);
            return duration >= TimeSpan.Zero ? duration : throw new FormatException($"time: negative duration \"{text}\"");
        }
        catch (FormatException e)
        {
            throw new UsageException($"--keep-duration: {e.Message}");
        }
    }

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
