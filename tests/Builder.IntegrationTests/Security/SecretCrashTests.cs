using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests.Security;

/// <summary>
/// The builder killed with SIGKILL (as the OOM killer would: its pid only, not its process group) while a RUN has a
/// secret mounted: nothing it left may hold the secret once the next builder command and a prune have run, and the
/// step's container must not outlive the next builder command.
/// </summary>
public sealed class SecretCrashTests
{
    [Theory]
    [InlineData("file")]
    [InlineData("env")]
    public async Task Kill_9_during_a_secret_RUN_leaves_no_secret_on_disk(string kind)
    {
        ExternalTool.Require("pgrep");
        using var temp = new TempDirectory("builder-sec");
        var store = temp.Combine("store");
        var builder = new BuilderCommand(store);
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("busybox"));
        (await builder.RunAsync("import", rootfs, "-t", "busybox")).EnsureSuccess("builder import");
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        // A duration no other process has: what pgrep looks for.
        var sleep = $"sleep 61.{RandomNumberGenerator.GetInt32(100_000, 1_000_000)}";
        var context = Directory.CreateDirectory(temp.Combine("context")).FullName;
        string[] secretOption;
        var environment = new Dictionary<string, string>();
        if (kind == "file")
        {
            var source = temp.Combine("secret.txt");
            await File.WriteAllTextAsync(source, secret);
            secretOption = ["--secret", $"id=s,src={source}"];
            await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"),
                $"FROM busybox\nRUN --mount=type=secret,id=s cat /run/secrets/s >/dev/null; echo started; {sleep}\n");
        }
        else
        {
            environment["MYSECRET"] = secret;
            secretOption = ["--secret", "id=e,env=MYSECRET"];
            await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"),
                $"FROM busybox\nRUN --mount=type=secret,id=e,env=MYSECRET test -n \"$MYSECRET\"; echo started; {sleep}\n");
        }
        try
        {
            using (var crashing = StartBuilder(store, ["build", "--progress", "plain", "--no-cache", "-t", "crash", .. secretOption, context], environment, " started"))
            {
                await WaitForLineAsync(crashing, "started", TimeSpan.FromSeconds(90));
                crashing.Process.Kill(entireProcessTree: false); // SIGKILL to the builder's pid alone
                await crashing.Process.WaitForExitAsync();
            }

            // The next builder command finds what the dead one left.
            var after = Directory.CreateDirectory(temp.Combine("after")).FullName;
            await File.WriteAllTextAsync(Path.Combine(after, "Dockerfile"), "FROM busybox\nRUN echo after > /after\n");
            (await builder.RunAsync("build", "--progress", "plain", "-t", "after", after)).EnsureSuccess("the build after the crash");
            var problems = new List<string>();
            var survivors = await SurvivorsAsync(sleep, TimeSpan.FromSeconds(10));
            if (survivors.Count > 0)
            {
                problems.Add($"the killed build's step ({sleep}) still runs 10 s after the next builder command: pids {string.Join(' ', survivors)}");
            }
            (await builder.RunAsync("prune")).EnsureSuccess("builder prune after the crash");

            // Every file of the store, as bytes, symlinks not followed: runtime state, bundles, scratch, snapshots, blobs.
            var holders = await TreeScan.FilesContainingAsync(store, Encoding.UTF8.GetBytes(secret));
            if (holders.Count > 0)
            {
                problems.Add("the secret is still on disk in the store:\n" + string.Join('\n', holders));
            }
            Assert.True(problems.Count == 0, string.Join('\n', problems));
        }
        finally
        {
            await KillStraysAsync(store, sleep);
        }
    }

    private sealed class Running(Process process) : IDisposable
    {
        public Process Process { get; } = process;

        public StringBuilder Output { get; } = new();

        public TaskCompletionSource<string> Seen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: false);
            }
            Process.Dispose();
        }
    }

    /// <summary>The builder started directly (not through BuilderCommand, which waits), so the test holds its pid.</summary>
    /// <param name="awaited">The end of the line <see cref="Running.Seen"/> waits for: the step's own output, not its command line, which ends with the sleep.</param>
    private static Running StartBuilder(string store, string[] args, Dictionary<string, string> environment, string awaited)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(BuilderCommand.Dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["BUILDER_ROOT"] = store;
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var running = new Running(Process.Start(start) ?? throw new InvalidOperationException("could not start the builder"));
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (running.Output)
            {
                running.Output.AppendLine(line);
            }
            if (line.TrimEnd().EndsWith(awaited, StringComparison.Ordinal))
            {
                running.Seen.TrySetResult(line);
            }
        }
        running.Process.OutputDataReceived += (_, e) => OnLine(e.Data);
        running.Process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        running.Process.BeginOutputReadLine();
        running.Process.BeginErrorReadLine();
        return running;
    }

    private static async Task WaitForLineAsync(Running running, string what, TimeSpan timeout)
    {
        var exited = running.Process.WaitForExitAsync();
        var first = await Task.WhenAny(running.Seen.Task, exited, Task.Delay(timeout));
        if (first != running.Seen.Task)
        {
            string output;
            lock (running.Output)
            {
                output = running.Output.ToString();
            }
            Assert.Fail($"the build never printed \"{what}\" ({(first == exited ? "it exited " + running.Process.ExitCode : "timeout")}):\n{output}");
        }
    }

    /// <summary>Polls pgrep until no process's command line has <paramref name="pattern"/> or the time is up; returns the pids left.</summary>
    private static async Task<IReadOnlyList<int>> SurvivorsAsync(string pattern, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var pids = await PidsAsync(pattern);
            if (pids.Count == 0 || clock.Elapsed >= within)
            {
                return pids;
            }
            await Task.Delay(500);
        }
    }

    private static async Task<IReadOnlyList<int>> PidsAsync(string pattern)
    {
        var result = await ExternalTool.RunAsync("pgrep", ["-f", pattern]);
        return [.. result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];
    }

    /// <summary>Whatever this test's crashed build left running: its step's processes, by pid, and its runc containers.</summary>
    private static async Task KillStraysAsync(string store, string pattern)
    {
        foreach (var pid in await PidsAsync(pattern))
        {
            try
            {
                using var stray = Process.GetProcessById(pid);
                stray.Kill(entireProcessTree: false);
            }
            catch (ArgumentException)
            {
                // gone already
            }
        }
        var runcRoot = Path.Combine(store, "sandbox", "run", "runc");
        if (Directory.Exists(runcRoot))
        {
            var containers = await ExternalTool.RunAsync("runc", ["--root", runcRoot, "list", "-q"]);
            foreach (var id in containers.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await ExternalTool.RunAsync("runc", ["--root", runcRoot, "delete", "--force", id]);
            }
        }
    }
}
