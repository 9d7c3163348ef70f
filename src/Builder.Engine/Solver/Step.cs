using System.Diagnostics;
using System.Globalization;
using Builder.Cache;
using Builder.Dockerfile.Graph;
using Builder.Engine.Semantics;
using Builder.Oci;
using Builder.Oci.Images;
using Builder.Sandbox.Runtime;
using Builder.Sandbox.Snapshots;

namespace Builder.Engine.Solver;

/// <summary>The stage as a layer step finds it: what the step reads; only the stage changes it, from the step's output.</summary>
internal sealed record StepInput(ContainerConfig Config, IReadOnlyList<ILayer> Layers, Digest Key, StageVariables Variables, StageNames Stages)
{
    public string WorkingDirectory => StepFiles.WorkingDirectory(Config);
}

/// <summary>
/// What a layer step made, for the stage to apply: its layer record, reused (<paramref name="Cached"/>) or new and to be
/// stored under <paramref name="CacheKey"/>; the stage's key after it (a --link layer's is chained after the stage's);
/// its history text.
/// </summary>
internal sealed record StepOutput(Digest CacheKey, CacheRecord Record, bool Cached, Digest StageKey, string CreatedBy);

/// <summary>
/// One running step: its progress vertex and its cache lookups (none under --no-cache): the local cache first, then
/// the imported caches (--cache-from), whose hit is remembered for the step's progress and the build's result.
/// </summary>
internal sealed class StepContext(BuildSession session, int vertex)
{
    private CacheHit? _imported;

    public int Vertex => vertex;

    public async Task<CacheRecord?> LookupAsync(Digest key, CancellationToken cancellationToken)
    {
        if (session.Request.NoCache)
        {
            // A multi-platform build's own steps are still shared between its platforms (a BUILDPLATFORM stage runs once).
            return session.Request.NoCacheSince is { } since && await session.Cache.GetAsync(key, cancellationToken).ConfigureAwait(false) is { Created: { } made } own
                && made >= since
                ? own
                : null;
        }
        if (await session.Cache.GetAsync(key, cancellationToken).ConfigureAwait(false) is { } local)
        {
            return local;
        }
        if (session.Importer is not { } importer || await importer.FindAsync(key, cancellationToken).ConfigureAwait(false) is not { } hit)
        {
            return null;
        }
        _imported = hit;
        return new CacheRecord(hit.Layer, hit.DiffId);
    }

    /// <summary>The imported hit for <paramref name="key"/>, when the step's cached output came from an imported cache.</summary>
    public CacheHit? Imported(Digest key) => _imported is { } hit && hit.Key == key ? hit : null;
}

/// <summary>Every layer step is run the same way: its progress reported, its new layer stored in the cache.</summary>
internal static class StepRunner
{
    public static async Task<StepOutput> RunAsync(BuildSession session, string display, Func<StepContext, Task<StepOutput>> step, CancellationToken cancellationToken)
    {
        var vertex = session.NextVertex();
        var clock = Stopwatch.StartNew();
        session.Progress.Report(new VertexStarted(vertex, DateTimeOffset.UtcNow, display));
        StepOutput output;
        var context = new StepContext(session, vertex);
        try
        {
            output = await step(context).ConfigureAwait(false);
        }
        catch (StepFailedException e)
        {
            // A RUN that exited non-zero: its vertex ends with BuildKit's message, the error goes on to the stage.
            session.Progress.Report(new VertexCompleted(vertex, DateTimeOffset.UtcNow, clock.Elapsed,
                $"process \"{e.Command}\" did not complete successfully: exit code: {e.ExitCode}"));
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Any other failure (a missing COPY source, a bad --chown) ends the vertex too, with its reason.
            session.Progress.Report(new VertexCompleted(vertex, DateTimeOffset.UtcNow, clock.Elapsed, e is BuildException b ? b.Reason : e.Message));
            throw;
        }
        if (output.Cached && context.Imported(output.CacheKey) is { } imported)
        {
            session.Progress.Report(new VertexCached(vertex, DateTimeOffset.UtcNow, imported.Source, imported.BytesFetched));
            session.CacheHits.Enqueue(new BuildCacheHit(display, output.CacheKey, imported.Source));
            // Recorded locally too: the next build on this machine needs no request.
            await session.Cache.PutAsync(output.CacheKey, output.Record, cancellationToken).ConfigureAwait(false);
        }
        else if (output.Cached)
        {
            session.Progress.Report(new VertexCached(vertex, DateTimeOffset.UtcNow));
        }
        else
        {
            output = output with { Record = output.Record with { Created = DateTimeOffset.UtcNow } };
            await session.Cache.PutAsync(output.CacheKey, output.Record, cancellationToken).ConfigureAwait(false);
        }
        session.Progress.Report(new VertexCompleted(vertex, DateTimeOffset.UtcNow, clock.Elapsed, null));
        return output;
    }
}

/// <summary>The names a step's <c>--from</c> may give a stage: its index, or its name (an earlier stage's first).</summary>
internal sealed class StageNames(StageGraph graph, int stageIndex)
{
    public int? Resolve(string name)
    {
        if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < stageIndex)
        {
            return index;
        }
        return graph.Dockerfile.Stages.LastOrDefault(s => s.Index < stageIndex && string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))?.Index
            ?? graph.Dockerfile.Stages.LastOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))?.Index;
    }

    /// <summary>The stage of this build a name resolves to; null when it names an image.</summary>
    public int? BuiltStage(string name) => graph.Stages.FirstOrDefault(s => s.Stage.Index == Resolve(name))?.Stage.Index;
}

/// <summary>Paths and owners as WORKDIR and COPY/ADD resolve them in the stage's file system.</summary>
internal static class StepFiles
{
    /// <summary>
    /// --chown and a WORKDIR's owner under USER, resolved as BuildKit's file operations do: <c>root</c> and numbers need no
    /// /etc/passwd (a scratch stage has none); names are looked up in the stage's /etc/passwd and /etc/group.
    /// </summary>
    public static (long, long) ResolveOwner(MergedView view, string user) =>
        UserResolver.ResolveOwner(user, view.ReadText("/etc/passwd"), view.ReadText("/etc/group"));

    /// <summary>A config's working directory: "/" when it names none.</summary>
    public static string WorkingDirectory(ContainerConfig config) => string.IsNullOrEmpty(config.WorkingDir) ? "/" : config.WorkingDir;

    /// <summary>A WORKDIR or COPY destination as an absolute path: a relative one is under the working directory.</summary>
    public static string Resolve(string path, string workingDirectory) =>
        NormalizeAbsolute(path.StartsWith('/') ? path : $"{workingDirectory.TrimEnd('/')}/{path}");

    public static string NormalizeAbsolute(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
            }
            else if (part != ".")
            {
                parts.Add(part);
            }
        }
        return "/" + string.Join('/', parts);
    }
}
