using Builder.Engine.Semantics;
using Builder.Oci.Layers;

namespace Builder.Engine.Solver;

/// <summary>
/// The layer of a WORKDIR other than "/": BuildKit makes it a mkdir -p of its own, a layer that is empty when the
/// directory exists. The stage has set the config's WorkingDir already.
/// </summary>
internal sealed class WorkdirStep(BuildSession session, StepInput input, string absolute)
{
    public async Task<StepOutput> ExecuteAsync(StepContext step, CancellationToken cancellationToken)
    {
        var createdBy = "WORKDIR " + absolute;
        var view = await session.Layers.ViewAsync(input.Layers, cancellationToken).ConfigureAwait(false);
        var key = CacheKey.Of(input.Key, "WORKDIR", absolute, input.Config.User ?? "");
        if (await step.LookupAsync(key, cancellationToken).ConfigureAwait(false) is { } hit)
        {
            return new StepOutput(key, hit, Cached: true, key, createdBy);
        }
        // BuildKit's mkdir -p on the path resolved in the stage's file system: symlinks on the way, the last one included,
        // are followed and kept (WORKDIR /bin/x on a merged-/usr base is /usr/bin/x; WORKDIR /x with /x -> /srv/x makes
        // /srv/x), and only what is missing behind them is made.
        var real = new ViewSourceTree(view).Resolve(absolute.TrimStart('/'))
            ?? throw new BuildException($"mkdir {absolute}: too many levels of symbolic links");
        var changes = new List<LayerChange>();
        if (view.Lookup("/" + real) is not { IsDirectory: true })
        {
            var user = input.Config.User;
            var owner = string.IsNullOrEmpty(user) ? (0L, 0L) : StepFiles.ResolveOwner(view, user);
            var current = "";
            foreach (var part in real.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                current = current.Length == 0 ? part : $"{current}/{part}";
                changes.Add(view.Lookup("/" + current) switch
                {
                    { IsDirectory: true } existing => new LayerEntry(current, LayerEntryType.Directory) { Mode = (UnixFileMode)existing.Permissions, UserId = existing.Uid, GroupId = existing.Gid },
                    null => new LayerEntry(current, LayerEntryType.Directory) { Mode = (UnixFileMode)0b111_101_101, UserId = owner.Item1, GroupId = owner.Item2, ModificationTime = session.Request.SourceDateEpoch ?? DateTimeOffset.UtcNow },
                    _ => throw new BuildException($"mkdir /{current}: not a directory"),
                });
            }
        }
        var layer = await session.WriteLayerAsync(changes, null, cancellationToken).ConfigureAwait(false);
        return new StepOutput(key, new CacheRecord(layer.Compressed, layer.DiffId), Cached: false, key, createdBy);
    }
}
