using Builder.Oci;

namespace Builder.Engine;

/// <summary>
/// Whether this machine can run another architecture's programs: the binfmt_misc handlers (QEMU user emulation) the
/// kernel hands foreign ELF binaries to. A RUN for a foreign platform needs one for its architecture, enabled and
/// registered with the F (fix-binary) flag — the sandboxed root file system does not hold the interpreter, so the
/// kernel must have opened it at registration, as Debian's <c>qemu-user-static</c> registers its handlers.
/// </summary>
public sealed class BinfmtEmulators(string directory)
{
    /// <summary>The kernel's binfmt_misc file system, where it is normally mounted.</summary>
    public static BinfmtEmulators Host { get; } = new("/proc/sys/fs/binfmt_misc");

    // The name QEMU (and so its binfmt handler, qemu-NAME) gives each OCI architecture.
    private static readonly Dictionary<string, string> QemuNames = new(StringComparer.Ordinal)
    {
        ["amd64"] = "x86_64", ["386"] = "i386", ["arm64"] = "aarch64", ["arm"] = "arm", ["ppc64le"] = "ppc64le",
        ["s390x"] = "s390x", ["riscv64"] = "riscv64", ["mips64le"] = "mips64el", ["loong64"] = "loongarch64",
    };

    /// <summary>
    /// Null when a RUN (or what <paramref name="action"/> names) for <paramref name="target"/> can run here; otherwise why
    /// not and how to fix it, in one line.
    /// </summary>
    public string? Missing(Platform target, string action = "RUN")
    {
        var host = Platform.Host;
        if (target.Architecture == host.Architecture || (host.Architecture == "amd64" && target.Architecture == "386"))
        {
            return null; // native (an x86-64 kernel runs i386 programs itself)
        }
        var name = QemuNames.GetValueOrDefault(target.Architecture, target.Architecture);
        var handler = Path.Combine(directory, $"qemu-{name}");
        var install = $"install qemu-user-static, which registers qemu-{name} with the F flag";
        if (!File.Exists(Path.Combine(directory, "status")))
        {
            return $"{action} for {target} needs QEMU, and binfmt_misc is not mounted at {directory} "
                + $"(mount -t binfmt_misc binfmt_misc {directory}, then {install})";
        }
        if (!File.Exists(handler))
        {
            return $"{action} for {target} needs QEMU: no binfmt_misc handler for {name} ({install})";
        }
        var lines = File.ReadAllLines(handler);
        if (!lines.Contains("enabled", StringComparer.Ordinal))
        {
            return $"{action} for {target} needs QEMU: the binfmt_misc handler {handler} is disabled (echo 1 > {handler})";
        }
        if (lines.FirstOrDefault(l => l.StartsWith("flags:", StringComparison.Ordinal)) is not { } flags || !flags[6..].Contains('F', StringComparison.Ordinal))
        {
            return $"{action} for {target} needs QEMU: the binfmt_misc handler {handler} lacks the F flag, so sandboxed programs cannot reach its interpreter ({install})";
        }
        return null;
    }
}
