using Builder.Posix;
using Builder.Sandbox.Runtime;

namespace Builder.Sandbox.Tests.Runtime;

/// <summary>Files read from an image before its process starts (/etc/passwd) come from the image, whatever its symlinks say.</summary>
public sealed class RootfsFilesTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("rootfs-files-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void An_image_etc_that_links_to_a_host_directory_is_read_inside_the_image()
    {
        var host = Directory.CreateDirectory(Path.Combine(_temp, "host-etc")).FullName;
        File.WriteAllText(Path.Combine(host, "passwd"), "host:x:0:0::/:/bin/sh\n");
        var rootfs = Directory.CreateDirectory(Path.Combine(_temp, "rootfs")).FullName;
        File.CreateSymbolicLink(Path.Combine(rootfs, "etc"), host);
        var root = new DirectorySnapshotMount(rootfs);

        Assert.Null(RootfsFiles.TryReadText(root, "/etc/passwd"));

        Directory.CreateDirectory(Path.Combine(rootfs, host.TrimStart('/')));
        File.WriteAllText(Path.Combine(rootfs, host.TrimStart('/'), "passwd"), "image:x:0:0::/:/bin/sh\n");
        Assert.Equal("image:x:0:0::/:/bin/sh\n", RootfsFiles.TryReadText(root, "/etc/passwd"));
    }

    [Fact]
    public void Lower_layers_are_resolved_through_links_of_upper_ones()
    {
        var lower = Directory.CreateDirectory(Path.Combine(_temp, "lower", "usr", "lib")).FullName;
        File.WriteAllText(Path.Combine(lower, "os-release"), "ID=test\n");
        var upper = Directory.CreateDirectory(Path.Combine(_temp, "upper")).FullName;
        File.CreateSymbolicLink(Path.Combine(upper, "lib"), "usr/lib");
        var root = new OverlaySnapshotMount([Path.Combine(_temp, "lower")], upper, Path.Combine(_temp, "work"));

        Assert.Equal("usr/lib/os-release", RootfsFiles.Resolve(root, "/lib/os-release"));
        Assert.Equal("ID=test\n", RootfsFiles.TryReadText(root, "/lib/os-release"));
        Assert.True(RootfsFiles.IsDirectory(root, "/lib"));
    }

    [Fact]
    public void A_file_below_a_directory_an_upper_layer_deleted_is_not_read()
    {
        var lower = Directory.CreateDirectory(Path.Combine(_temp, "lower", "etc")).FullName;
        File.WriteAllText(Path.Combine(lower, "passwd"), "deleted:x:0:0::/:/bin/sh\n");
        var upper = Directory.CreateDirectory(Path.Combine(_temp, "upper")).FullName;
        Assert.Equal(0, LibC.TryMakeNode(Path.Combine(upper, "etc"), LibC.S_IFCHR | 0b110_000_000, 0, 0)); // what `rm -rf /etc` leaves
        var root = new OverlaySnapshotMount([Path.Combine(_temp, "lower")], upper, Path.Combine(_temp, "work"));

        Assert.Null(RootfsFiles.TryReadText(root, "/etc/passwd"));
        Assert.False(RootfsFiles.IsDirectory(root, "/etc"));
    }
}
