using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>Symlinks a build makes point into the image, never at the host: cleaning up after a step must not follow them.</summary>
public sealed class HostSafetyTests
{
    [Fact]
    public async Task A_RUN_that_links_to_a_host_directory_leaves_that_directory_and_its_modes_alone()
    {
        using var temp = new TempDirectory();
        var outside = Directory.CreateDirectory(temp.Combine("outside", "inner")).FullName;
        await File.WriteAllTextAsync(Path.Combine(outside, "keep.txt"), "host file\n");
        var mode = (UnixFileMode)Convert.ToInt32("755", 8);
        File.SetUnixFileMode(temp.Combine("outside"), mode);
        File.SetUnixFileMode(outside, mode);
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("busybox"));
        var builder = new BuilderCommand(temp.Combine("store"));
        (await builder.RunAsync("import", rootfs, "-t", "busybox")).EnsureSuccess("builder import");
        var context = Directory.CreateDirectory(temp.Combine("context")).FullName;
        // The same shape as `rm -rf /var/tmp && ln -s /tmp /var/tmp`: a directory symlink in the step's upper directory.
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"),
            $"FROM busybox\nRUN ln -s {temp.Combine("outside")} /outside-link && mkdir /d && ln -s {outside} /d/inner-link\n");

        var build = await builder.RunAsync("build", "-t", "links", context);

        build.EnsureSuccess("builder build");
        Assert.Equal(mode, File.GetUnixFileMode(temp.Combine("outside")));
        Assert.Equal(mode, File.GetUnixFileMode(outside));
        Assert.Equal("host file\n", await File.ReadAllTextAsync(Path.Combine(outside, "keep.txt")));
    }
}
