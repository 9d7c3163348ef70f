namespace Builder.Engine.Solver;

/// <summary>
/// What a build reports as it goes, one vertex (a step of a stage, or a base image) at a time. Renderers turn the
/// stream into BuildKit's plain or tty view, or JSON lines.
/// </summary>
public abstract record BuildEvent(int Vertex, DateTimeOffset Time);

/// <summary>A vertex started; <see cref="Name"/> is what BuildKit shows: <c>[stage 2/5] RUN make</c>.</summary>
public sealed record VertexStarted(int Vertex, DateTimeOffset Time, string Name) : BuildEvent(Vertex, Time);

/// <summary>
/// A vertex's result came from the cache; it will not run. <see cref="Source"/> is null for the local cache, else the
/// kind of imported cache (<c>registry</c> or <c>local</c>), which <see cref="BytesFetched"/> were downloaded from.
/// </summary>
public sealed record VertexCached(int Vertex, DateTimeOffset Time, string? Source = null, long BytesFetched = 0) : BuildEvent(Vertex, Time);

/// <summary>A line a vertex printed (RUN output) or said (progress of a pull).</summary>
public sealed record VertexLog(int Vertex, DateTimeOffset Time, string Line, bool IsError) : BuildEvent(Vertex, Time);

/// <summary>A vertex finished; <see cref="Error"/> is set when it failed.</summary>
public sealed record VertexCompleted(int Vertex, DateTimeOffset Time, TimeSpan Duration, string? Error) : BuildEvent(Vertex, Time);

/// <summary>
/// A timed part of a vertex's work (<c>pull</c>, <c>context hashing</c>, <c>snapshot</c>, <c>run</c>, <c>layer write</c>),
/// reported when it ends, with the bytes it moved when it knows them; for traces (<c>--trace</c>), not shown in progress.
/// </summary>
public sealed record VertexPhase(int Vertex, DateTimeOffset Time, TimeSpan Duration, string Name, long Bytes = 0) : BuildEvent(Vertex, Time);

/// <summary>A non-fatal remark about the build (unused build args, lint findings with --check).</summary>
public sealed record BuildWarning(DateTimeOffset Time, string Message) : BuildEvent(0, Time);

/// <summary>Where build events go. Implementations must accept events from several threads.</summary>
public interface IBuildProgress
{
    void Report(BuildEvent buildEvent);
}

/// <summary>Times a part of a vertex's work and reports it as a <see cref="VertexPhase"/> when it ends (failed or not).</summary>
public static class BuildPhases
{
    /// <summary>As <see cref="TimeAsync{T}"/>, for work done on the calling thread.</summary>
    public static T Time<T>(this IBuildProgress progress, int vertex, string name, Func<T> work)
    {
        var start = DateTimeOffset.UtcNow;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            return work();
        }
        finally
        {
            progress.Report(new VertexPhase(vertex, start, clock.Elapsed, name));
        }
    }

    public static async Task<T> TimeAsync<T>(this IBuildProgress progress, int vertex, string name, Func<Task<T>> work, Func<T, long>? bytes = null)
    {
        var start = DateTimeOffset.UtcNow;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        T result = default!;
        var succeeded = false;
        try
        {
            result = await work().ConfigureAwait(false);
            succeeded = true;
            return result;
        }
        finally
        {
            progress.Report(new VertexPhase(vertex, start, clock.Elapsed, name, succeeded && bytes is not null ? bytes(result) : 0));
        }
    }
}
