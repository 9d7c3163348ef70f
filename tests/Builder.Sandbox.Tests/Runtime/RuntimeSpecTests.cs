using Builder.Sandbox.Runtime;

namespace Builder.Sandbox.Tests.Runtime;

public sealed class RuntimeSpecTests
{
    private static readonly ResolvedUser Root = new(0, 0, [], "/root");
    private static readonly OverlaySnapshotMount Overlay = new(["/l/top", "/l/base"], "/s/upper", "/s/work");

    [Fact]
    public void The_snapshot_is_mounted_at_root_as_an_overlay_of_its_layers_top_first()
    {
        var spec = RuntimeSpec.Create(new ExecSpec { Args = ["true"] }, Root, Overlay, null);

        var rootMount = spec["mounts"]![0]!;
        Assert.Equal("/", (string?)rootMount["destination"]);
        Assert.Equal("overlay", (string?)rootMount["type"]);
        Assert.Contains("lowerdir=/l/top:/l/base", rootMount["options"]!.AsArray().Select(o => (string?)o));
        Assert.Contains("upperdir=/s/upper", rootMount["options"]!.AsArray().Select(o => (string?)o));
    }

    [Fact]
    public void Processes_get_dockers_default_capabilities_including_chown()
    {
        var spec = RuntimeSpec.Create(new ExecSpec { Args = ["true"] }, Root, Overlay, null);

        var effective = spec["process"]!["capabilities"]!["effective"]!.AsArray().Select(c => (string?)c).ToList();
        Assert.Equal(14, effective.Count);
        Assert.Contains("CAP_CHOWN", effective);
        Assert.DoesNotContain("CAP_SYS_ADMIN", effective);
    }

    [Theory]
    [InlineData(SandboxNetwork.Host, false, "bind")]
    [InlineData(SandboxNetwork.None, true, "sysfs")]
    public void Network_mode_decides_the_network_namespace_and_how_sys_is_mounted(SandboxNetwork network, bool ownNamespace, string sysType)
    {
        var spec = RuntimeSpec.Create(new ExecSpec { Args = ["true"], Network = network }, Root, Overlay, null);

        var namespaces = spec["linux"]!["namespaces"]!.AsArray().Select(n => (string?)n!["type"]).ToList();
        Assert.Equal(ownNamespace, namespaces.Contains("network"));
        Assert.Equal(sysType, (string?)spec["mounts"]!.AsArray().Single(m => (string?)m!["destination"] == "/sys")!["type"]);
        Assert.Null(spec["linux"]!["resources"]);
    }

    [Fact]
    public void Path_and_home_are_filled_in_when_the_image_has_none()
    {
        var spec = RuntimeSpec.Create(new ExecSpec { Args = ["true"], Env = ["A=1"] }, new ResolvedUser(1000, 1000, [5], "/home/app"), Overlay, null);

        var env = spec["process"]!["env"]!.AsArray().Select(e => (string?)e).ToList();
        Assert.Equal(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "A=1", "HOME=/home/app"], env);
        Assert.Equal(5u, (uint)spec["process"]!["user"]!["additionalGids"]![0]!);
    }

    [Fact]
    public void Requested_mounts_follow_the_standard_ones()
    {
        var spec = RuntimeSpec.Create(new ExecSpec
        {
            Args = ["true"],
            Mounts = [new BindMount("/run/secrets/id", "/host/secret", ReadOnly: true), new TmpfsMount("/scratch", 1 << 20)],
        }, Root, Overlay, ("/b/resolv.conf", "/b/hosts"));

        var mounts = spec["mounts"]!.AsArray();
        Assert.Equal(["/", "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/etc/resolv.conf", "/etc/hosts", "/run/secrets/id", "/scratch"],
            mounts.Select(m => (string?)m!["destination"]));
        Assert.Contains("ro", mounts[9]!["options"]!.AsArray().Select(o => (string?)o));
        Assert.Contains("size=1048576", mounts[10]!["options"]!.AsArray().Select(o => (string?)o));
    }
}
