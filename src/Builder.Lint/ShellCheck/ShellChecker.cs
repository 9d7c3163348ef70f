using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Builder.Lint.ShellCheck;

/// <summary>One ShellCheck finding in a script: line and column there, level (error, warning, info, style), code, message.</summary>
public sealed record ShellCheckComment(int Line, int Column, string Level, int Code, string Message);

/// <summary>
/// Runs the <c>shellcheck</c> executable as hadolint configures its library: every severity down to style, without
/// SC2187 (ash is checked as dash), SC1090 and SC1091 (sourced files a Dockerfile cannot name), no rc file. Scripts
/// go in as files, many per process (one process per CPU for a large batch), and each distinct script is checked
/// once per instance: the same RUN in many Dockerfiles costs one check.
/// </summary>
public sealed class ShellChecker(string executable)
{
    private const int ScriptsPerProcess = 400;
    private readonly ConcurrentDictionary<string, IReadOnlyList<ShellCheckComment>> _checked = new(StringComparer.Ordinal);

    public string Executable { get; } = executable;

    /// <summary>
    /// <c>--shellcheck</c>'s value: <c>off</c> gives null; <c>auto</c> (or null) finds <c>shellcheck</c> on PATH, null
    /// when it is not there; anything else is the executable's path, which must exist.
    /// </summary>
    /// <exception cref="FileNotFoundException">An explicit path that is not a file.</exception>
    public static ShellChecker? Resolve(string? setting, Func<string, string?> environment)
    {
        switch (setting)
        {
            case "off":
                return null;
            case null or "auto":
                var path = (environment("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                    .Select(d => Path.Combine(d, "shellcheck")).FirstOrDefault(File.Exists);
                return path is null ? null : new ShellChecker(path);
            default:
                return File.Exists(setting) ? new ShellChecker(Path.GetFullPath(setting)) : throw new FileNotFoundException($"no shellcheck at {setting}", setting);
        }
    }

    /// <summary>Checks every script not checked yet, in as few processes as there are CPUs.</summary>
    public void Prefetch(IEnumerable<string> scripts)
    {
        var pending = scripts.Distinct(StringComparer.Ordinal).Where(s => !_checked.ContainsKey(s)).ToList();
        // Equal batches, as many as a multiple of the CPUs, so that no core is left with the last batch alone.
        var cpus = Environment.ProcessorCount;
        var count = (pending.Count + ScriptsPerProcess - 1) / ScriptsPerProcess;
        count = Math.Max(1, Math.Min(pending.Count, (count + cpus - 1) / cpus * cpus));
        var batches = pending.Chunk(Math.Max(1, (pending.Count + count - 1) / count)).ToList();
        try
        {
            Parallel.ForEach(batches, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, batch =>
            {
                var results = Run(batch);
                for (var i = 0; i < batch.Length; i++)
                {
                    _checked[batch[i]] = results[i];
                }
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]); // the first failure, as itself
        }
    }

    /// <summary>ShellCheck's findings on one script.</summary>
    public IReadOnlyList<ShellCheckComment> Check(string script)
    {
        if (!_checked.TryGetValue(script, out var comments))
        {
            Prefetch([script]);
            comments = _checked[script];
        }
        return comments;
    }

    private List<ShellCheckComment>[] Run(IReadOnlyList<string> scripts)
    {
        var directory = Directory.CreateTempSubdirectory("builder-shellcheck-").FullName;
        try
        {
            var start = new ProcessStartInfo(Executable)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = directory,
            };
            foreach (var argument in (string[])["--norc", "--format=json1", "--severity=style", "--exclude=SC2187,SC1090,SC1091", "--"])
            {
                start.ArgumentList.Add(argument);
            }
            for (var i = 0; i < scripts.Count; i++)
            {
                File.WriteAllText(Path.Combine(directory, i.ToString(System.Globalization.CultureInfo.InvariantCulture)), scripts[i]);
                start.ArgumentList.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            Process process;
            try
            {
                process = Process.Start(start) ?? throw new IOException($"{Executable} did not start");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new IOException($"{Executable} cannot be run: {e.Message}", e);
            }
            using var _ = process;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            // 0: nothing found, 1: findings; anything else is shellcheck failing.
            if (process.ExitCode is not (0 or 1))
            {
                var reason = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "no message";
                throw new IOException($"{Executable} failed with exit code {process.ExitCode}: {reason}");
            }
            return Parse(stdout, scripts.Count);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static List<ShellCheckComment>[] Parse(string json, int count)
    {
        var results = Enumerable.Range(0, count).Select(_ => new List<ShellCheckComment>()).ToArray();
        using var document = JsonDocument.Parse(json);
        foreach (var comment in document.RootElement.GetProperty("comments").EnumerateArray())
        {
            var file = int.Parse(comment.GetProperty("file").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            results[file].Add(new ShellCheckComment(
                comment.GetProperty("line").GetInt32(), comment.GetProperty("column").GetInt32(), comment.GetProperty("level").GetString()!,
                comment.GetProperty("code").GetInt32(), comment.GetProperty("message").GetString()!));
        }
        return results;
    }
}
