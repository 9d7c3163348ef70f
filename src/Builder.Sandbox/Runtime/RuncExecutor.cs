using System.Diagnostics;
using System.Text;
using Builder.Posix;

namespace Builder.Sandbox.Runtime;

/// <summary>
/// Runs processes with runc (crun when runc is absent): a bundle per run under <c>stateDirectory</c>, the process's
/// output streamed as it comes, its exit code returned. The caller must be root of its user namespace (real root, or
/// re-executed under <see cref="RootlessReexec"/>).
/// </summary>
/// <param name="stateDirectory">Bundles, runc's state and secret files; see <see cref="RuntimeDirectories"/>.</param>
/// <param name="inMemory">Whether <paramref name="stateDirectory"/> is a tmpfs: secrets are refused elsewhere.</param>
public sealed class RuncExecutor(string stateDirectory, bool inMemory) : IExecutor
{
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(10);

    private readonly string _runtime = FindRuntime();

    /// <summary>An executor whose state lives on a tmpfs when the machine has one (tests).</summary>
    public RuncExecutor(string stateDirectory)
        : this(stateDirectory, false)
    {
    }

    /// <summary>The executor of one lease on a store: its state in that lease's runtime directory.</summary>
    public static RuncExecutor ForLease(string storeRoot, string leaseId) =>
        new(RuntimeDirectories.For(storeRoot, leaseId, out var inMemory), inMemory);

    public async Task<int> RunAsync(ExecSpec spec, ISnapshot rootfs, ProcessIo io, CancellationToken cancellationToken)
    {
        if ((spec.EnvHoldsSecrets || spec.Mounts.Any(m => m is SecretMount)) && !inMemory)
        {
            throw new SandboxException("secrets need a memory file system (tmpfs) for the runtime's state: none of $XDG_RUNTIME_DIR, /run or /dev/shm is one here");
        }
        var root = rootfs.Mount;
        var user = UserResolver.Resolve(spec.User, RootfsFiles.TryReadText(root, "/etc/passwd"), RootfsFiles.TryReadText(root, "/etc/group"));
        var id = "builder-" + Guid.NewGuid().ToString("N")[..16];
        var bundle = Path.Combine(stateDirectory, "bundles", id);
        var runtimeRoot = Path.Combine(stateDirectory, "runc");
        Directory.CreateDirectory(Path.Combine(bundle, "rootfs"));
        Directory.CreateDirectory(runtimeRoot);
        IReadOnlyList<string> stubs = [];
        try
        {
            EnsureWorkingDirectory(root, spec.WorkingDirectory, user);
            var etc = RootfsFiles.IsDirectory(root, "/etc") ? WriteEtcFiles(bundle, spec.Hostname) : ((string, string)?)null;
            spec = spec with { Mounts = [.. spec.Mounts.Select(m => Pin(m, bundle))] };
            await using var network = spec.Network == SandboxNetwork.Private
                ? await UserModeNetwork.StartAsync(spec.Ports, bundle, cancellationToken).ConfigureAwait(false)
                : null;
            var config = RuntimeSpec.Create(spec, user, root, etc, network?.NamespacePath);
            // runc creates what a mount target lacks; those stubs are not the step's work.
            // BuildKit's executor removes the stubs of /etc/resolv.conf, /etc/hosts and the step's own mounts
            // (executor.MountStubsCleaner); the mount points runc makes for /proc, /dev and /sys stay in the layer (a
            // RUN in a scratch stage adds them).
            stubs = Mounts.MountStubs.FindMissing(root, config["mounts"]!.AsArray().Skip(1).Select(m => (string)m!["destination"]!).Where(d => !IsSystemMountPoint(d)));
            await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), config.ToJsonString(), cancellationToken).ConfigureAwait(false);
            return await RunBundleAsync(runtimeRoot, bundle, id, io, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Whatever happened, the container and its bundle (secrets included) go; a leftover would hold the overlay mounted.
            await RunQuietlyAsync(_runtime, runtimeRoot, ["delete", "--force", id]).ConfigureAwait(false);
            TryDelete(bundle);
            Mounts.MountStubs.Remove(root, stubs);
        }
    }

    private static bool IsSystemMountPoint(string destination) =>
        destination is "/proc" or "/sys" or "/dev" || destination.StartsWith("/dev/", StringComparison.Ordinal);

    /// <summary>
    /// Stops every container whose state is under <paramref name="stateDirectory"/> (a killed build's) and deletes the
    /// directory with its bundles and secrets.
    /// </summary>
    public static async Task RemoveStateAsync(string stateDirectory)
    {
        var runtimeRoot = Path.Combine(stateDirectory, "runc");
        if (Directory.Exists(runtimeRoot) && TryFindRuntime() is { } runtime)
        {
            foreach (var container in Directory.EnumerateDirectories(runtimeRoot))
            {
                await RunQuietlyAsync(runtime, runtimeRoot, ["delete", "--force", Path.GetFileName(container)]).ConfigureAwait(false);
            }
        }
        TryDelete(stateDirectory);
    }

    /// <summary>
    /// A rooted bind becomes the host path its source resolves to inside its root (<see cref="Mounts.RootedPath.Pin"/>);
    /// a secret becomes a read-only bind of a file in the bundle, which lives in memory.
    /// </summary>
    private static SandboxMount Pin(SandboxMount mount, string bundle)
    {
        switch (mount)
        {
            case BindMount { Root: { } root } bind:
                return bind with { Source = Mounts.RootedPath.Pin(root, bind.Source), Root = null };
            case SecretMount secret:
                var directory = Directory.CreateDirectory(Path.Combine(bundle, "secrets")).FullName;
                var file = Path.Combine(directory, Guid.NewGuid().ToString("N"));
                using (var stream = new FileStream(file, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                }))
                {
                    stream.Write(secret.Content);
                }
                File.SetUnixFileMode(file, secret.Mode);
                if (secret.Uid != 0 || secret.Gid != 0)
                {
                    LibC.LChown(file, secret.Uid, secret.Gid);
                }
                return new BindMount(secret.Target, file, ReadOnly: true);
            default:
                return mount;
        }
    }

    private async Task<int> RunBundleAsync(string runtimeRoot, string bundle, string id, ProcessIo io, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(_runtime)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--root", runtimeRoot, "run", "--bundle", bundle, id })
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new SandboxException($"could not start {_runtime}");
        var runtimeErrors = new StringBuilder();
        var copyOut = process.StandardOutput.BaseStream.CopyToAsync(io.Output, CancellationToken.None);
        var copyErr = CopyErrorsAsync(process.StandardError.BaseStream, io.Error, runtimeErrors);
        var copyIn = FeedInputAsync(io.Input, process.StandardInput.BaseStream);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Graceful first is pointless for a build step: kill the container, then make sure runc itself is gone.
            await RunQuietlyAsync(_runtime, runtimeRoot, ["kill", "--all", id, "KILL"]).ConfigureAwait(false);
            using var grace = new CancellationTokenSource(KillGrace);
            try
            {
                await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            await Task.WhenAll(copyOut, copyErr).ConfigureAwait(false);
            throw;
        }
        await Task.WhenAll(copyOut, copyErr).ConfigureAwait(false);
        await copyIn.ConfigureAwait(false);
        var exitCode = process.ExitCode;
        // runc's own failures (before the process started) come as "runc run failed" lines on stderr with exit 1.
        if (exitCode != 0 && runtimeErrors.Length > 0)
        {
            throw new SandboxException($"{Path.GetFileName(_runtime)} could not start the process: {runtimeErrors.ToString().Trim()}");
        }
        return exitCode;
    }

    // runc prints its own errors as logrus lines or "runc run failed:"; the process's stderr passes through unchanged.
    private static async Task CopyErrorsAsync(Stream from, Stream to, StringBuilder runtimeErrors)
    {
        using var reader = new StreamReader(from, Encoding.UTF8);
        var buffer = new char[8192];
        var pending = new StringBuilder();
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            pending.Append(buffer, 0, read);
            var text = pending.ToString();
            var lastNewline = text.LastIndexOf('\n');
            if (lastNewline < 0)
            {
                continue;
            }
            Forward(text[..(lastNewline + 1)]);
            pending.Clear().Append(text[(lastNewline + 1)..]);
        }
        Forward(pending.ToString());

        void Forward(string lines)
        {
            foreach (var line in lines.Split('\n'))
            {
                if (line.StartsWith("runc run failed", StringComparison.Ordinal) || line.Contains("level=error msg=", StringComparison.Ordinal)
                    || line.StartsWith("crun: ", StringComparison.Ordinal))
                {
                    runtimeErrors.AppendLine(line);
                }
            }
            var bytes = Encoding.UTF8.GetBytes(lines);
            to.Write(bytes);
            to.Flush();
        }
    }

    private static async Task FeedInputAsync(Stream? input, Stream stdin)
    {
        try
        {
            if (input is not null)
            {
                await input.CopyToAsync(stdin).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // The process exited without reading all its input.
        }
        finally
        {
            stdin.Close();
        }
    }

    private static async Task RunQuietlyAsync(string runtime, string runtimeRoot, string[] arguments)
    {
        var start = new ProcessStartInfo(runtime) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--root");
        start.ArgumentList.Add(runtimeRoot);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start);
        if (process is not null)
        {
            await process.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
            await process.StandardError.ReadToEndAsync().ConfigureAwait(false);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// docker creates a missing WORKDIR owned by the process user before starting the process. The path is resolved
    /// inside the snapshot first, so a symlink the image holds (<c>/w -> /home/someone</c>) leads to its own directory
    /// there, never to the host's; one under /proc is refused (a leaked descriptor, CVE-2024-21626's pattern).
    /// </summary>
    private static void EnsureWorkingDirectory(SnapshotMount root, string workingDirectory, ResolvedUser user)
    {
        if (workingDirectory is "/" or "")
        {
            return;
        }
        var resolved = RootfsFiles.Resolve(root, workingDirectory)
            ?? throw new SandboxException($"working directory {workingDirectory}: too many levels of symbolic links");
        if (resolved == "proc" || resolved.StartsWith("proc/", StringComparison.Ordinal))
        {
            throw new SandboxException($"working directory {workingDirectory} is inside /proc, which the runtime mounts over the image");
        }
        if (RootfsFiles.IsDirectory(root, resolved))
        {
            return;
        }
        var writable = root switch
        {
            OverlaySnapshotMount overlay => overlay.UpperDirectory,
            DirectorySnapshotMount directory => directory.Directory,
            _ => throw new ArgumentException("unknown snapshot mount", nameof(root)),
        };
        var relative = "";
        foreach (var part in resolved.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            relative = relative.Length == 0 ? part : $"{relative}/{part}";
            var path = Path.Combine(writable, relative);
            var here = LibC.LStat(path);
            if (here is { IsDirectory: true })
            {
                continue;
            }
            if (here is not null)
            {
                throw new SandboxException($"working directory {workingDirectory}: /{relative} is not a directory");
            }
            // A directory a lower layer has keeps its metadata in the upper (what a copy-up does); new ones are the user's.
            var lower = RootfsFiles.View(root).Lookup(relative);
            LibC.MakeDirectory(path, 0b111_101_101);
            if (lower is { IsDirectory: true })
            {
                LibC.LChown(path, lower.Uid, lower.Gid);
                LibC.Chmod(path, lower.Permissions);
            }
            else
            {
                LibC.LChown(path, user.Uid, user.Gid);
                LibC.Chmod(path, 0b111_101_101);
            }
        }
    }

    private static (string ResolvConf, string Hosts) WriteEtcFiles(string bundle, string hostname)
    {
        var resolvConf = Path.Combine(bundle, "resolv.conf");
        var hosts = Path.Combine(bundle, "hosts");
        File.WriteAllText(resolvConf, File.Exists("/etc/resolv.conf") ? File.ReadAllText("/etc/resolv.conf") : "nameserver 8.8.8.8\n");
        File.WriteAllText(hosts, $"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t{hostname}\n");
        return (resolvConf, hosts);
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    private static string FindRuntime() =>
        TryFindRuntime() ?? throw new SandboxException("no OCI runtime found: install runc (scripts/install-deps.sh does)");

    private static string? TryFindRuntime() => ProgramPath.Find("runc") ?? ProgramPath.Find("crun");
}
