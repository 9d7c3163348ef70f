using System.Diagnostics;
using System.Globalization;

namespace Builder.Sandbox.Runtime;

/// <summary>
/// <see cref="SandboxNetwork.Private"/>: a network namespace made for the container before it starts (held by a
/// sleeping process), connected by pasta (Debian's passt), and joined by runc through its path — as rootless podman
/// prepares its network before the runtime runs. Everything is stopped when the container is gone.
/// </summary>
/// <remarks>
/// Why pasta rather than slirp4netns: it needs no API socket to forward ports (they are command-line options), and it
/// splices TCP between sockets instead of running a TCP/IP stack per packet. Its defaults are turned off where they
/// would open the host: <c>--no-map-gw</c> (the gateway address is not the host's loopback), <c>-T none -U none</c>
/// (the container's loopback ports do not reach the host's), <c>-t none -u none</c> unless <c>-p</c> asks (no port of
/// the host is forwarded in by default). Why not a runc hook: runc's init is not dumpable while it sets up, so a hook
/// in a user namespace cannot open its namespaces.
/// </remarks>
internal sealed class UserModeNetwork : IAsyncDisposable
{
    private readonly Process _holder;
    private readonly string _pidFile;

    private UserModeNetwork(Process holder, string pidFile)
    {
        _holder = holder;
        _pidFile = pidFile;
    }

    /// <summary>The namespace's path, for the runtime spec.</summary>
    public string NamespacePath => $"/proc/{_holder.Id}/ns/net";

    public static async Task<UserModeNetwork> StartAsync(IReadOnlyList<PublishedPort> ports, string directory, CancellationToken cancellationToken)
    {
        var pasta = ProgramPath.Find("pasta") ?? throw new SandboxException(
            "builder run's own network needs pasta (Debian's passt package: apt-get install passt); or run with --network host or none");
        try
        {
            File.Open("/dev/net/tun", FileMode.Open, FileAccess.ReadWrite).Dispose();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new SandboxException("builder run's own network needs /dev/net/tun, which this user cannot open "
                + "(distributions make it mode 0666; here: chmod 0666 /dev/net/tun); or run with --network host or none");
        }
        // The namespace belongs to a user namespace of its own, which pasta joins: pasta sandboxes itself in a new user
        // namespace before it opens the target, and from there it could not open a namespace of ours.
        var holder = Process.Start(new ProcessStartInfo(ProgramPath.Find("unshare") ?? "unshare")
            {
                ArgumentList = { "--user", "--map-root-user", "--net", "sleep", "infinity" },
                UseShellExecute = false,
            })
            ?? throw new SandboxException("could not start unshare for the container's network namespace");
        var network = new UserModeNetwork(holder, Path.Combine(directory, "pasta.pid"));
        try
        {
            // unshare has made the namespace once its process runs sleep.
            for (var i = 0; i < 200 && !holder.HasExited && ReadLink($"/proc/{holder.Id}/exe")?.EndsWith("sleep", StringComparison.Ordinal) != true; i++)
            {
                await Task.Delay(5, cancellationToken).ConfigureAwait(false);
            }
            if (holder.HasExited)
            {
                throw new SandboxException($"unshare --net failed (exit code {holder.ExitCode}): no network namespace for the container");
            }
            // Through env(1) to give pasta SIGPIPE's default back: .NET ignores it, exec keeps it ignored, and this
            // pasta refuses to start with it ignored ("Couldn't install signal handlers").
            var start = new ProcessStartInfo(ProgramPath.Find("env") ?? "env")
            {
                UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true,
                ArgumentList = { "--default-signal=PIPE", pasta },
            };
            foreach (var argument in Arguments(ports, network._pidFile, holder.Id))
            {
                start.ArgumentList.Add(argument);
            }
            using var process = Process.Start(start) ?? throw new SandboxException("could not start pasta");
            var errors = await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new SandboxException($"pasta could not connect the container's network (exit code {process.ExitCode}): "
                    + string.Join(' ', errors.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("Failed to send", StringComparison.Ordinal))));
            }
            return network;
        }
        catch
        {
            await network.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>pasta's options: in the background once ready, and nothing of the host opened but the published ports.</summary>
    internal static IReadOnlyList<string> Arguments(IReadOnlyList<PublishedPort> ports, string pidFile, int holder)
    {
        var (user, group) = Builder.Posix.LibC.EffectiveIds;
        List<string> arguments =
        [
            "--config-net", "--no-map-gw", "-T", "none", "-U", "none", "--quiet", "-P", pidFile,
            // As whoever runs builder (pasta would otherwise drop root to nobody, who cannot join the namespaces).
            "--runas", string.Create(CultureInfo.InvariantCulture, $"{user}:{group}"),
            "--userns", $"/proc/{holder}/ns/user", "--netns", $"/proc/{holder}/ns/net",
        ];
        foreach (var protocol in new[] { "tcp", "udp" })
        {
            var flag = protocol == "tcp" ? "-t" : "-u";
            var chosen = ports.Where(p => p.Protocol == protocol).ToList();
            if (chosen.Count == 0)
            {
                arguments.AddRange([flag, "none"]);
            }
            foreach (var port in chosen)
            {
                var spec = string.Create(CultureInfo.InvariantCulture, $"{port.HostPort}:{port.ContainerPort}");
                arguments.AddRange([flag, port.HostAddress is null ? spec : $"{port.HostAddress}/{spec}"]);
            }
        }
        return arguments;
    }

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(_pidFile) && int.TryParse((await File.ReadAllTextAsync(_pidFile).ConfigureAwait(false)).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            Kill(pid);
        }
        if (!_holder.HasExited)
        {
            _holder.Kill();
            await _holder.WaitForExitAsync().ConfigureAwait(false);
        }
        _holder.Dispose();
    }

    private static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone already.
        }
    }

    private static string? ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
