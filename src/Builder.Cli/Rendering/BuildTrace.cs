using System.Text.Json;
using Builder.Engine.Solver;

namespace Builder.Cli.Rendering;

/// <summary>
/// <c>builder build --trace FILE</c>: the build as a Chrome trace-event file (Perfetto, chrome://tracing): the whole
/// process as one span, and in it its start-up, the planning before the first step, one span per step (its own track,
/// cached steps marked) with its phases nested (pull, context hashing, snapshot, run, layer write, bytes moved), and
/// what came after the steps (outputs, attestations, each push).
/// </summary>
internal sealed class BuildTrace : IBuildProgress
{
    private readonly Lock _gate = new();
    private readonly List<BuildEvent> _events = [];
    private readonly List<(string Name, DateTimeOffset Start, DateTimeOffset End)> _spans = [];

    public void Report(BuildEvent buildEvent)
    {
        lock (_gate)
        {
            _events.Add(buildEvent);
        }
    }

    /// <summary>A span of the build command's own (not of a step): outputs, a push.</summary>
    public void Span(string name, DateTimeOffset start, DateTimeOffset end)
    {
        lock (_gate)
        {
            _spans.Add((name, start, end));
        }
    }

    /// <summary>Writes the trace: from <paramref name="processStart"/> to <paramref name="end"/>, the command having begun at <paramref name="commandStart"/>.</summary>
    public async Task WriteAsync(string path, DateTimeOffset processStart, DateTimeOffset commandStart, DateTimeOffset end, CancellationToken cancellationToken)
    {
        List<BuildEvent> events;
        List<(string Name, DateTimeOffset Start, DateTimeOffset End)> spans;
        lock (_gate)
        {
            events = [.. _events];
            spans = [.. _spans];
        }
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            long Micros(DateTimeOffset time) => (long)(time - processStart).TotalMicroseconds;
            void Complete(string name, string category, int track, DateTimeOffset start, TimeSpan duration, Action<Utf8JsonWriter>? args = null)
            {
                json.WriteStartObject();
                json.WriteString("name", name);
                json.WriteString("cat", category);
                json.WriteString("ph", "X");
                json.WriteNumber("ts", Micros(start));
                json.WriteNumber("dur", Math.Max(0, (long)duration.TotalMicroseconds));
                json.WriteNumber("pid", 1);
                json.WriteNumber("tid", track);
                json.WriteStartObject("args");
                args?.Invoke(json);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            void TrackName(int track, string name)
            {
                json.WriteStartObject();
                json.WriteString("name", "thread_name");
                json.WriteString("ph", "M");
                json.WriteNumber("pid", 1);
                json.WriteNumber("tid", track);
                json.WriteStartObject("args");
                json.WriteString("name", name);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteStartObject();
            json.WriteString("displayTimeUnit", "ms");
            json.WriteStartArray("traceEvents");
            TrackName(0, "builder build");
            Complete("builder build", "build", 0, processStart, end - processStart);
            Complete("start-up", "build", 0, processStart, commandStart - processStart);
            var started = events.OfType<VertexStarted>().ToList();
            var firstStep = started.Count > 0 ? started.Min(s => s.Time) : end;
            Complete("plan (Dockerfile, checks, stages)", "build", 0, commandStart, firstStep - commandStart);
            var completed = events.OfType<VertexCompleted>().ToDictionary(c => c.Vertex);
            var cached = events.OfType<VertexCached>().Select(c => c.Vertex).ToHashSet();
            foreach (var step in started)
            {
                var done = completed.GetValueOrDefault(step.Vertex);
                var duration = done is null ? end - step.Time : done.Time - step.Time;
                TrackName(step.Vertex, $"#{step.Vertex}");
                Complete(step.Name, "step", step.Vertex, step.Time, duration, args =>
                {
                    args.WriteBoolean("cached", cached.Contains(step.Vertex));
                    if (done?.Error is { } error)
                    {
                        args.WriteString("error", error);
                    }
                });
            }
            foreach (var phase in events.OfType<VertexPhase>())
            {
                Complete(phase.Name, "phase", phase.Vertex, phase.Time, phase.Duration, args => args.WriteNumber("bytes", phase.Bytes));
            }
            foreach (var (name, start, stop) in spans)
            {
                Complete(name, "build", 0, start, stop - start);
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        await File.WriteAllBytesAsync(path, buffer.ToArray(), cancellationToken);
    }
}

/// <summary>Every event to both: the progress a user reads and the trace.</summary>
internal sealed class TeeProgress(IBuildProgress first, IBuildProgress second) : IBuildProgress
{
    public void Report(BuildEvent buildEvent)
    {
        first.Report(buildEvent);
        second.Report(buildEvent);
    }
}
