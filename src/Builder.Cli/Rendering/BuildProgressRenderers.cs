using System.Globalization;
using System.Text.Json;
using Builder.Engine.Solver;

namespace Builder.Cli.Rendering;

/// <summary>The <c>--progress</c> modes: BuildKit's plain lines, a compact live view on a terminal, JSON lines, or nothing.</summary>
internal static class BuildProgressRenderers
{
    public static IBuildProgress Create(string mode, TextWriter error) => mode switch
    {
        "plain" => new PlainProgress(error),
        "tty" => new TtyProgress(error),
        "json" => new JsonProgress(error),
        "quiet" => new QuietProgress(),
        "auto" => Console.IsErrorRedirected ? new PlainProgress(error) : new TtyProgress(error),
        _ => throw new UsageException($"--progress: '{mode}' is not auto, tty, plain, json or quiet"),
    };

    private static string Seconds(TimeSpan duration) => duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s";

    /// <summary>BuildKit's <c>CACHED</c>; a step from an imported cache says which kind and what it downloaded: <c>CACHED (registry) 12.3MB</c>.</summary>
    private static string Cached(VertexCached cached) =>
        cached.Source is null ? "CACHED" : $"CACHED ({cached.Source}) {LocalImages.HumanSize(cached.BytesFetched)}";

    /// <summary>BuildKit's <c>--progress=plain</c>: <c>#N name</c>, output lines with their time offset, then DONE/CACHED/ERROR.</summary>
    private sealed class PlainProgress(TextWriter output) : IBuildProgress
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<int, DateTimeOffset> _started = [];

        public void Report(BuildEvent buildEvent)
        {
            lock (_gate)
            {
                switch (buildEvent)
                {
                    case VertexStarted started:
                        _started[started.Vertex] = started.Time;
                        output.WriteLine($"#{started.Vertex} {started.Name}");
                        break;
                    case VertexCached cached:
                        output.WriteLine($"#{cached.Vertex} {Cached(cached)}");
                        break;
                    case VertexLog log:
                        var offset = log.Time - _started.GetValueOrDefault(log.Vertex, log.Time);
                        output.WriteLine($"#{log.Vertex} {offset.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)} {log.Line}");
                        break;
                    case VertexCompleted { Error: { } error } failed:
                        output.WriteLine($"#{failed.Vertex} ERROR: {error}");
                        break;
                    case VertexCompleted done:
                        output.WriteLine($"#{done.Vertex} DONE {Seconds(done.Duration)}");
                        break;
                    case BuildWarning warning:
                        output.WriteLine($"WARNING: {warning.Message}");
                        break;
                }
                output.Flush();
            }
        }
    }

    /// <summary>
    /// A terminal view: one line per finished step (<c>=> [2/3] RUN make  1.2s</c>, <c>=> CACHED …</c>) and, while a
    /// step runs, its latest output line redrawn in place.
    /// </summary>
    private sealed class TtyProgress(TextWriter output) : IBuildProgress
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<int, string> _names = [];
        private readonly Dictionary<int, VertexCached> _cached = [];
        private bool _liveLine;

        public void Report(BuildEvent buildEvent)
        {
            lock (_gate)
            {
                switch (buildEvent)
                {
                    case VertexStarted started:
                        _names[started.Vertex] = started.Name;
                        Live($" => {started.Name}");
                        break;
                    case VertexCached cached:
                        _cached[cached.Vertex] = cached;
                        break;
                    case VertexLog log:
                        Live($" => {Name(log.Vertex)}: {log.Line}");
                        break;
                    case VertexCompleted done:
                        ClearLive();
                        var state = done.Error is { } error ? $"ERROR: {error}" : Seconds(done.Duration);
                        output.WriteLine(_cached.TryGetValue(done.Vertex, out var hit) && done.Error is null
                            ? $" => {Cached(hit)} {Name(done.Vertex)}"
                            : $" => {Name(done.Vertex)}  {state}");
                        break;
                    case BuildWarning warning:
                        ClearLive();
                        output.WriteLine($" ! {warning.Message}");
                        break;
                }
                output.Flush();
            }
        }

        private string Name(int vertex) => _names.GetValueOrDefault(vertex, $"#{vertex}");

        private void Live(string text)
        {
            var width = Console.IsErrorRedirected ? 120 : Math.Max(Console.WindowWidth - 1, 20);
            output.Write("\r\u001b[2K" + (text.Length > width ? text[..width] : text));
            _liveLine = true;
        }

        private void ClearLive()
        {
            if (_liveLine)
            {
                output.Write("\r\u001b[2K");
                _liveLine = false;
            }
        }
    }

    /// <summary>One JSON object per event and line, for tools.</summary>
    private sealed class JsonProgress(TextWriter output) : IBuildProgress
    {
        private readonly Lock _gate = new();

        public void Report(BuildEvent buildEvent)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("time", buildEvent.Time.ToString("O", CultureInfo.InvariantCulture));
                json.WriteNumber("vertex", buildEvent.Vertex);
                switch (buildEvent)
                {
                    case VertexStarted started:
                        json.WriteString("event", "started");
                        json.WriteString("name", started.Name);
                        break;
                    case VertexCached cached:
                        json.WriteString("event", "cached");
                        if (cached.Source is { } source)
                        {
                            json.WriteString("source", source);
                            json.WriteNumber("bytes", cached.BytesFetched);
                        }
                        break;
                    case VertexLog log:
                        json.WriteString("event", "log");
                        json.WriteString("stream", log.IsError ? "stderr" : "stdout");
                        json.WriteString("line", log.Line);
                        break;
                    case VertexCompleted done:
                        json.WriteString("event", done.Error is null ? "completed" : "error");
                        json.WriteNumber("duration", done.Duration.TotalSeconds);
                        if (done.Error is { } error)
                        {
                            json.WriteString("error", error);
                        }
                        break;
                    case BuildWarning warning:
                        json.WriteString("event", "warning");
                        json.WriteString("message", warning.Message);
                        break;
                }
                json.WriteEndObject();
            }
            var line = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
            lock (_gate)
            {
                output.WriteLine(line);
                output.Flush();
            }
        }
    }

    private sealed class QuietProgress : IBuildProgress
    {
        public void Report(BuildEvent buildEvent)
        {
        }
    }
}
