using System.Diagnostics;

namespace Builder.Sandbox.Runtime;

/// <summary>
/// .NET cannot enter a new user namespace from its multi-threaded process, so an unprivileged caller re-executes
/// itself under <c>unshare --user --map-root-user --map-auto --mount</c> (util-linux ≥ 2.38): inside it is root of
/// its namespace (caller ↦ 0, its /etc/subuid range ↦ 1…), can mount overlayfs and run runc, and the files it makes
/// belong to the caller and its subordinate ids on the host — what buildah and podman do with their own unshare.
/// </summary>
public static class RootlessReexec
{
    /// <summary>Set in the re-executed process, so it never re-executes again.</summary>
    public const string MarkerVariable = "BUILDER_IN_USERNS";

    public static bool IsNamespaceRoot => Environment.IsPrivilegedProcess;

    /// <summary>
    /// The command that runs this program again in a new user and mount namespace, or null when this process is
    /// already root (real, or of its namespace) or was re-executed already.
    /// </summary>
    /// <param name="environment">Variables to pin for the child (the store location, resolved before ids change).</param>
    public static ProcessStartInfo? Command(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment)
    {
        if (IsNamespaceRoot || Environment.GetEnvironmentVariable(MarkerVariable) is "1")
        {
            return null;
        }
        var start = new ProcessStartInfo("unshare") { UseShellExecute = false };
        foreach (var option in new[] { "--user", "--map-root-user" })
        {
            start.ArgumentList.Add(option);
        }
        if (HasSubordinateIds())
        {
            // Without a subordinate range only the caller's own id is mapped: chown to other ids fails inside.
            start.ArgumentList.Add("--map-auto");
        }
        foreach (var option in new[] { "--mount", "--propagation", "private", "--" })
        {
            start.ArgumentList.Add(option);
        }
        start.ArgumentList.Add(Environment.ProcessPath ?? throw new InvalidOperationException("the process path is unknown"));
        // Run as "dotnet builder.dll": the host needs the assembly path again.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(Environment.GetCommandLineArgs()[0]);
        }
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment[MarkerVariable] = "1";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        return start;
    }

    /// <summary>Runs <paramref name="start"/> with this process's standard streams and returns its exit code.</summary>
    public static int Run(ProcessStartInfo start)
    {
        using var process = Process.Start(start) ?? throw new SandboxException("could not start unshare (util-linux)");
        process.WaitForExit();
        return process.ExitCode;
    }

    private static bool HasSubordinateIds()
    {
        var user = Environment.UserName;
        var uid = Mounts.Native.getuid().ToString(System.Globalization.CultureInfo.InvariantCulture);
        return HasEntry("/etc/subuid", user, uid) && HasEntry("/etc/subgid", user, uid)
            && File.Exists("/usr/bin/newuidmap") && File.Exists("/usr/bin/newgidmap");
    }

    private static bool HasEntry(string file, string user, string uid) =>
        File.Exists(file) && File.ReadLines(file).Any(line => line.Split(':') is [var owner, _, _] && (owner == user || owner == uid));
}
