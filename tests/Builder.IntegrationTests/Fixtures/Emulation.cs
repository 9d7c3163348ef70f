namespace Builder.IntegrationTests.Fixtures;

/// <summary>
/// What the multi-platform tests need to run arm64 programs on this machine: QEMU user emulation registered in
/// binfmt_misc with the F flag (Debian's qemu-user-static), and an arm64 busybox (Debian's busybox-static for arm64,
/// which scripts/install-deps.sh downloads). Missing pieces fail the test with what to run; nothing is skipped.
/// </summary>
public static class Emulation
{
    private const string BinfmtMisc = "/proc/sys/fs/binfmt_misc";

    /// <summary>Mounts binfmt_misc when it is not, and registers qemu-aarch64 from qemu-user-static's binfmt.d file when it is not.</summary>
    public static async Task RequireArm64Async()
    {
        ExternalTool.Require("qemu-aarch64-static");
        if (!File.Exists(Path.Combine(BinfmtMisc, "status")))
        {
            (await ExternalTool.RunAsync("mount", ["-t", "binfmt_misc", "binfmt_misc", BinfmtMisc])).EnsureSuccess("mount binfmt_misc");
        }
        var handler = Path.Combine(BinfmtMisc, "qemu-aarch64");
        if (!File.Exists(handler))
        {
            // What systemd-binfmt would do at boot: the package's registration line, as it ships it (flags include F).
            var conf = Directory.GetFiles("/usr/lib/binfmt.d", "qemu-aarch64*.conf").FirstOrDefault()
                ?? throw new InvalidOperationException("qemu-user-static ships no /usr/lib/binfmt.d/qemu-aarch64*.conf: run scripts/install-deps.sh");
            var line = File.ReadAllLines(conf).First(l => l.StartsWith(':'));
            await File.WriteAllTextAsync(Path.Combine(BinfmtMisc, "register"), line);
        }
        Assert.Contains("enabled", await File.ReadAllTextAsync(handler));
    }

    /// <summary>The arm64 busybox binary, unpacked once from the downloaded busybox-static .deb into the test cache.</summary>
    public static async Task<string> Arm64BusyboxAsync()
    {
        var cache = Environment.GetEnvironmentVariable("BUILDER_TEST_CACHE") ?? "/var/cache/builder-tests";
        var deb = Directory.Exists(cache) ? Directory.GetFiles(cache, "busybox-static_*_arm64.deb").FirstOrDefault() : null;
        if (deb is null)
        {
            throw new InvalidOperationException($"no busybox-static arm64 package in {cache}: run scripts/install-deps.sh");
        }
        var unpacked = Path.Combine(cache, "busybox-static-arm64");
        var binary = Path.Combine(unpacked, "bin", "busybox");
        if (!File.Exists(binary))
        {
            (await ExternalTool.RunAsync("dpkg-deb", ["-x", deb, unpacked])).EnsureSuccess("dpkg-deb -x");
        }
        return binary;
    }
}
