using System.Diagnostics;
using Builder.Sandbox.Mounts;

namespace Builder.Sandbox.Tests.Mounts;

public sealed class MountStubsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mount-stubs-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Make(string relative, bool directory = false)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(directory ? path : Path.GetDirectoryName(path)!);
        if (!directory)
        {
            File.WriteAllText(path, "");
        }
        return path;
    }

    [Fact]
    public void Stubs_the_runtime_made_for_new_targets_are_removed_with_their_new_parents()
    {
        Make("rootfs/tmp", directory: true);
        var root = new DirectorySnapshotMount(Path.Combine(_root, "rootfs"));
        var missing = MountStubs.FindMissing(root, ["/run/secrets/token", "/tmp", "/var/cache/apt"]);
        // What runc does at start: the secret's file and the cache's directory, with their parents.
        Make("rootfs/run/secrets/token");
        Make("rootfs/var/cache/apt", directory: true);

        MountStubs.Remove(root, missing);

        Assert.Equal(["run/secrets/token", "var/cache/apt", "run/secrets", "var/cache", "run", "var"], missing);
        Assert.Equal(["tmp"], Directory.EnumerateFileSystemEntries(root.Directory).Select(Path.GetFileName));
    }

    [Fact]
    public void What_the_step_wrote_beside_a_stub_is_kept()
    {
        Make("rootfs", directory: true);
        var root = new DirectorySnapshotMount(Path.Combine(_root, "rootfs"));
        var missing = MountStubs.FindMissing(root, ["/run/secrets/token"]);
        Make("rootfs/run/secrets/token");
        File.WriteAllText(Path.Combine(root.Directory, "run", "marker"), "step output");

        MountStubs.Remove(root, missing);

        Assert.False(File.Exists(Path.Combine(root.Directory, "run", "secrets", "token")));
        Assert.True(File.Exists(Path.Combine(root.Directory, "run", "marker")));
    }

    [Fact]
    public void In_an_overlay_a_target_in_a_lower_layer_exists_and_a_whited_out_one_does_not()
    {
        Make("lower/etc/hosts");
        Make("lower/opt/tool", directory: true);
        Make("upper", directory: true);
        Make("upper/opt", directory: true);
        var mknod = Process.Start("mknod", [Path.Combine(_root, "upper/opt/tool"), "c", "0", "0"])!;
        mknod.WaitForExit();
        var root = new OverlaySnapshotMount([Path.Combine(_root, "lower")], Path.Combine(_root, "upper"), Path.Combine(_root, "work"));

        var missing = MountStubs.FindMissing(root, ["/etc/hosts", "/opt/tool"]);

        Assert.Equal(0, mknod.ExitCode);
        Assert.Equal(["opt/tool"], missing);
    }

    [Fact]
    public void A_stub_whose_parent_the_step_made_a_symlink_to_the_host_is_left_alone_and_so_is_the_host()
    {
        Make("rootfs/tmp", directory: true);
        var host = Make("host/token"); // an empty host file with the stub's name
        Make("host/apt", directory: true);
        var root = new DirectorySnapshotMount(Path.Combine(_root, "rootfs"));
        var missing = MountStubs.FindMissing(root, ["/run/secrets/token", "/run/secrets/apt"]);
        // The step replaced the stub's parent: `rm -rf /run/secrets && ln -s HOST /run/secrets`.
        Make("rootfs/run", directory: true);
        File.CreateSymbolicLink(Path.Combine(_root, "rootfs/run/secrets"), Path.Combine(_root, "host"));

        MountStubs.Remove(root, missing);

        Assert.True(File.Exists(host));
        Assert.True(Directory.Exists(Path.Combine(_root, "host/apt")));
    }

    [Fact]
    public void A_target_below_an_image_symlink_is_not_looked_up_on_the_host()
    {
        Make("host/present");
        Make("rootfs/run", directory: true);
        File.CreateSymbolicLink(Path.Combine(_root, "rootfs/run/secrets"), Path.Combine(_root, "host"));
        var root = new DirectorySnapshotMount(Path.Combine(_root, "rootfs"));

        // Resolved inside the root the link leads nowhere; the runtime makes the target there, not in the host directory.
        var missing = MountStubs.FindMissing(root, ["/run/secrets/present"]);

        Assert.DoesNotContain("run/secrets/present", missing);
    }
}
