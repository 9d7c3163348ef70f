namespace Builder.IntegrationTests.Fixtures;

/// <summary>
/// Root filesystems the tests build images from, made here because Docker Hub is out of reach: a tiny busybox
/// tree, and a real Debian (debootstrap minbase) cached between tests and runs.
/// </summary>
public static class BaseRootfs
{
    /// <summary>
    /// A busybox root filesystem: /bin/busybox with its applet links, /etc/passwd and group, /tmp. <paramref name="binary"/>:
    /// another busybox (another architecture's) in place of this machine's; the applets are this machine's list.
    /// </summary>
    public static async Task<string> CreateBusyboxAsync(string directory, CancellationToken cancellationToken = default, string? binary = null)
    {
        var busybox = binary ?? ExternalTool.Require("busybox");
        foreach (var dir in new[] { "bin", "etc", "tmp", "root", "home", "dev", "proc", "sys", "usr/bin", "var/tmp" })
        {
            Directory.CreateDirectory(Path.Combine(directory, dir));
        }
        File.SetUnixFileMode(Path.Combine(directory, "tmp"), (UnixFileMode)Convert.ToInt32("1777", 8));
        File.Copy(busybox, Path.Combine(directory, "bin", "busybox"), overwrite: true);
        var applets = (await ExternalTool.RunAsync("busybox", ["--list"], cancellationToken: cancellationToken)).EnsureSuccess("busybox --list").Out;
        foreach (var applet in applets.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var link = Path.Combine(directory, "bin", applet);
            if (!File.Exists(link) && applet != "busybox")
            {
                File.CreateSymbolicLink(link, "busybox");
            }
        }
        await File.WriteAllTextAsync(Path.Combine(directory, "etc", "passwd"),
            "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, "etc", "group"),
            "root:x:0:\napp:x:1000:\nnogroup:x:65534:\n", cancellationToken);
        return directory;
    }

    /// <summary>
    /// A Debian bookworm minbase tree from the Debian mirror, made once (about 25 s) and kept in
    /// <c>$BUILDER_TEST_CACHE</c> (default /var/cache/builder-tests) for later tests and runs.
    /// </summary>
    public static async Task<string> DebianAsync(CancellationToken cancellationToken = default)
    {
        var cache = Environment.GetEnvironmentVariable("BUILDER_TEST_CACHE") ?? "/var/cache/builder-tests";
        var target = Path.Combine(cache, "debian-bookworm-minbase");
        var done = target + ".done";
        Directory.CreateDirectory(cache);
        await using var lockFile = await AcquireLockAsync(target + ".lock", cancellationToken);
        if (File.Exists(done))
        {
            return target;
        }
        if (Directory.Exists(target))
        {
            Directory.Delete(target, recursive: true);
        }
        // The mirror this machine's apt uses, never a hard-coded host.
        var mirror = (await ExternalTool.RunAsync("bash", [Path.Combine(DifferentialTests.RepositoryRoot, "scripts", "debian-mirror.sh")],
            cancellationToken: cancellationToken)).EnsureSuccess("scripts/debian-mirror.sh").Out.Trim();
        (await ExternalTool.RunAsync("debootstrap",
            ["--variant=minbase", "bookworm", target, mirror],
            timeout: TimeSpan.FromMinutes(15), cancellationToken: cancellationToken)).EnsureSuccess("debootstrap");
        // apt lists and caches are not part of a base image
        foreach (var dir in new[] { "var/lib/apt/lists", "var/cache/apt/archives" })
        {
            var path = Path.Combine(target, dir);
            foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.TopDirectoryOnly))
            {
                File.Delete(file);
            }
        }
        await File.WriteAllTextAsync(done, DateTime.UtcNow.ToString("O"), cancellationToken);
        return target;
    }

    private static async Task<FileStream> AcquireLockAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException)
            {
                await Task.Delay(500, cancellationToken);
            }
        }
    }
}
