using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>
/// Issue 3's acceptance: a real root filesystem → <c>builder import</c> → <c>builder save</c> in both formats,
/// read back by independent tools (skopeo, umoci) exactly as it was.
/// </summary>
public sealed class ImageArchiveTests
{
    [Fact]
    public async Task Debian_rootfs_imported_and_saved_is_read_back_by_skopeo_and_umoci_unchanged()
    {
        using var temp = new TempDirectory();
        var rootfs = await BaseRootfs.DebianAsync();
        var builder = new BuilderCommand(temp.Combine("store"));

        (await builder.RunAsync("import", rootfs, "-t", "debian:minbase")).EnsureSuccess("builder import");
        (await builder.RunAsync("save", "debian:minbase", "--format", "oci", "-o", temp.Combine("oci.tar"))).EnsureSuccess("builder save oci");
        (await builder.RunAsync("save", "debian:minbase", "--format", "docker", "-o", temp.Combine("docker.tar"))).EnsureSuccess("builder save docker");

        var oci = (await ExternalTool.RunAsync("skopeo", ["inspect", "oci-archive:" + temp.Combine("oci.tar")])).EnsureSuccess("skopeo inspect oci-archive");
        var docker = (await ExternalTool.RunAsync("skopeo", ["inspect", "docker-archive:" + temp.Combine("docker.tar")])).EnsureSuccess("skopeo inspect docker-archive");
        Assert.Contains("\"Architecture\": \"amd64\"", oci.Out);
        Assert.Contains("\"Layers\"", docker.Out);

        var layout = temp.Combine("layout");
        Directory.CreateDirectory(layout);
        (await ExternalTool.RunAsync("tar", ["-xf", temp.Combine("oci.tar"), "-C", layout])).EnsureSuccess("tar -x");
        (await ExternalTool.RunAsync("umoci", ["unpack", "--image", layout + ":minbase", temp.Combine("bundle")])).EnsureSuccess("umoci unpack");

        var expected = await TreeSnapshot.TakeAsync(rootfs);
        var actual = await TreeSnapshot.TakeAsync(temp.Combine("bundle", "rootfs"));
        Assert.True(expected.SequenceEqual(actual), TreeSnapshot.Difference(expected, actual));
        Assert.True(expected.Count > 3000, $"only {expected.Count} entries: not a Debian tree");
    }

    [Fact]
    public async Task Saved_docker_archive_loads_back_to_the_same_image_id()
    {
        using var temp = new TempDirectory();
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs"));
        var builder = new BuilderCommand(temp.Combine("store"));
        var id = (await builder.RunAsync("import", rootfs, "-t", "bb:1")).EnsureSuccess("import").Out.Trim();
        (await builder.RunAsync("save", "bb:1", "-o", temp.Combine("bb.tar"))).EnsureSuccess("save");

        var other = new BuilderCommand(temp.Combine("other-store"));
        var loaded = (await other.RunAsync("load", "-i", temp.Combine("bb.tar"))).EnsureSuccess("load");
        var images = (await other.RunAsync("images", "-q")).EnsureSuccess("images");

        Assert.Contains("Loaded image: bb:1", loaded.Out);
        Assert.Equal(id["sha256:".Length..][..12], images.Out.Trim());
    }

    [Fact]
    public async Task Oci_layout_written_by_skopeo_loads_into_the_store()
    {
        using var temp = new TempDirectory();
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs"));
        var builder = new BuilderCommand(temp.Combine("store"));
        (await builder.RunAsync("import", rootfs, "-t", "bb:1")).EnsureSuccess("import");
        (await builder.RunAsync("save", "bb:1", "-o", temp.Combine("bb.tar"))).EnsureSuccess("save");
        // skopeo converts our docker archive to its own OCI layout; we load that back.
        (await ExternalTool.RunAsync("skopeo", ["copy", "docker-archive:" + temp.Combine("bb.tar"), "oci:" + temp.Combine("skopeo-layout") + ":copied"]))
            .EnsureSuccess("skopeo copy");

        var other = new BuilderCommand(temp.Combine("other-store"));
        var loaded = (await other.RunAsync("load", "-i", temp.Combine("skopeo-layout"))).EnsureSuccess("load");

        Assert.Contains("Loaded image", loaded.Out);
    }

    [Fact]
    public async Task Missing_image_and_bad_reference_fail_with_clear_messages()
    {
        using var temp = new TempDirectory();
        var builder = new BuilderCommand(temp.Combine("store"));

        var missing = await builder.RunAsync("inspect", "nothing:here");
        var bad = await builder.RunAsync("import", temp.Path, "-t", "Bad:Name");

        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("error: no such image: nothing:here\n", missing.Error);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("must be lowercase", bad.Error);
    }
}
