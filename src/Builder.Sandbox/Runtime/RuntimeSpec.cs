using System.Text.Json.Nodes;

namespace Builder.Sandbox.Runtime;

/// <summary>
/// The OCI runtime-spec config.json for one process. The root is an empty directory with the snapshot mounted at "/"
/// through <c>mounts</c>, which works rootless too (design doc: overlay at "/" inside the namespace).
/// </summary>
public static class RuntimeSpec
{
    /// <summary>docker's default capability set (runc spec's default lacks CAP_CHOWN, which apt needs).</summary>
    public static readonly IReadOnlyList<string> DefaultCapabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP",
    ];

    private static readonly string[] MaskedPaths =
    [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ];

    private static readonly string[] ReadonlyPaths =
        ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    /// <param name="etcFiles">Host-side files bound over /etc/resolv.conf and /etc/hosts, or null to bind none.</param>
    public static JsonObject Create(ExecSpec spec, ResolvedUser user, SnapshotMount root, (string ResolvConf, string Hosts)? etcFiles, string? networkNamespace = null)
    {
        var env = spec.Env.ToList();
        if (!env.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)))
        {
            env.Insert(0, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        }
        if (!env.Any(e => e.StartsWith("HOME=", StringComparison.Ordinal)))
        {
            env.Add("HOME=" + user.Home);
        }
        var capabilities = new JsonArray([.. DefaultCapabilities.Select(c => (JsonNode?)c)]);
        var namespaces = new JsonArray(
            new JsonObject { ["type"] = "pid" }, new JsonObject { ["type"] = "ipc" },
            new JsonObject { ["type"] = "uts" }, new JsonObject { ["type"] = "mount" });
        if (spec.Network == SandboxNetwork.None)
        {
            namespaces.Add((JsonNode)new JsonObject { ["type"] = "network" });
        }
        else if (spec.Network == SandboxNetwork.Private)
        {
            // Made and connected before the container starts (UserModeNetwork); runc joins it by its path.
            namespaces.Add((JsonNode)new JsonObject { ["type"] = "network", ["path"] = networkNamespace ?? throw new ArgumentException("a private network needs its namespace", nameof(networkNamespace)) });
        }
        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject
                {
                    ["uid"] = user.Uid,
                    ["gid"] = user.Gid,
                    ["additionalGids"] = new JsonArray([.. user.AdditionalGids.Select(g => (JsonNode?)g)]),
                },
                ["args"] = new JsonArray([.. spec.Args.Select(a => (JsonNode?)a)]),
                ["env"] = new JsonArray([.. env.Select(e => (JsonNode?)e)]),
                ["cwd"] = spec.WorkingDirectory,
                ["capabilities"] = new JsonObject
                {
                    ["bounding"] = capabilities.DeepClone(),
                    ["effective"] = capabilities.DeepClone(),
                    ["permitted"] = capabilities.DeepClone(),
                },
                ["noNewPrivileges"] = false,
            },
            ["root"] = new JsonObject { ["path"] = "rootfs", ["readonly"] = false },
            ["hostname"] = spec.Hostname,
            ["mounts"] = Mounts(spec, root, etcFiles),
            ["linux"] = new JsonObject
            {
                ["namespaces"] = namespaces,
                ["maskedPaths"] = new JsonArray([.. MaskedPaths.Select(p => (JsonNode?)p)]),
                ["readonlyPaths"] = new JsonArray([.. ReadonlyPaths.Select(p => (JsonNode?)p)]),
            },
        };
    }

    private static JsonArray Mounts(ExecSpec spec, SnapshotMount root, (string ResolvConf, string Hosts)? etcFiles)
    {
        // JsonArray's constructor and Add(JsonNode), not the generic Add<T>, which needs runtime code generation (AOT).
        var mounts = new JsonArray(
            root switch
            {
                OverlaySnapshotMount overlay => Mount("/", "overlay", "overlay",
                    [$"lowerdir={string.Join(':', overlay.LowerDirectories)}", $"upperdir={overlay.UpperDirectory}", $"workdir={overlay.WorkDirectory}",
                        // In a user namespace overlayfs may only use user.* xattrs (kernel >= 5.11), which also rules
                        // out redirects and metacopy. Elsewhere say so: the upper must hold whole files and real
                        // directories to be read back as a layer (and kept as a lower), whatever the kernel's defaults.
                        .. Snapshots.UserNamespace.IsNested ? new[] { "userxattr" } : ["redirect_dir=off", "metacopy=off"]]),
                DirectorySnapshotMount directory => Mount("/", "bind", directory.Directory, "rbind", "rw"),
                _ => throw new ArgumentException($"unknown snapshot mount {root.GetType().Name}", nameof(root)),
            },
            Mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"),
            Mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
            Mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"),
            Mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
            Mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
            // sysfs cannot be mounted in a user namespace without a network namespace of its own: bind the host's.
            spec.Network is SandboxNetwork.None or SandboxNetwork.Private
                ? Mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro")
                : Mount("/sys", "bind", "/sys", "rbind", "nosuid", "noexec", "nodev", "ro"));
        if (etcFiles is var (resolvConf, hosts))
        {
            mounts.Add((JsonNode)Mount("/etc/resolv.conf", "bind", resolvConf, "rbind", "ro"));
            mounts.Add((JsonNode)Mount("/etc/hosts", "bind", hosts, "rbind", "ro"));
        }
        foreach (var mount in spec.Mounts)
        {
            mounts.Add((JsonNode)(mount switch
            {
                BindMount bind => Mount(bind.Target, "bind", bind.Source, "rbind", bind.ReadOnly ? "ro" : "rw"),
                TmpfsMount tmpfs => tmpfs.SizeBytes > 0
                    ? Mount(tmpfs.Target, "tmpfs", "tmpfs", "nosuid", "nodev", $"size={tmpfs.SizeBytes}")
                    : Mount(tmpfs.Target, "tmpfs", "tmpfs", "nosuid", "nodev"),
                _ => throw new ArgumentException($"unknown mount {mount.GetType().Name}", nameof(spec)),
            }));
        }
        return mounts;
    }

    private static JsonObject Mount(string destination, string type, string source, params string[] options) => new()
    {
        ["destination"] = destination,
        ["type"] = type,
        ["source"] = source,
        ["options"] = new JsonArray([.. options.Select(o => (JsonNode?)o)]),
    };
}
