namespace Builder.IntegrationTests.Security;

/// <summary>
/// Hostile tars, made entry by entry: through ADD of a local archive, as a base image through <c>builder import</c>
/// and <c>builder load</c> (then a RUN on it), and as the docker-archive itself. Each may be refused with one error
/// line or accepted; nothing may land on the host, and no host file may be read into the image.
/// </summary>
public sealed class HostileArchiveTests
{
    private static readonly string Climb = string.Concat(Enumerable.Repeat("../", 24));

    /// <summary>Entries that each try a way out but "..": shared by the import and load cases, which then RUN on the image.</summary>
    private static HostileTar Escapes(HostCanary canary, string missing) => new HostileTar()
        .File(missing + "/abs", "escaped\n")
        .File(canary.Directory + "/abs", "escaped\n")
        .Symlink("link", canary.Directory)
        .File("link/escape", "escaped\n")
        .File("link/canary", "pwned\n")
        .Hardlink("hardlink", canary.File)
        .File("hardlink", "pwned\n")
        .Symlink("same", canary.File)
        .File("same", "pwned\n")
        .CharacterDevice("link/device", 1, 3);

    /// <summary>Entries whose ".." climb out of wherever they are extracted, to the canary and a missing host path.</summary>
    private static HostileTar DotDotEscapes(HostCanary canary, string missing) => new HostileTar()
        .File(Climb + missing.TrimStart('/') + "/dotdot", "escaped\n")
        .File(Climb + canary.File.TrimStart('/'), "pwned\n")
        .Directory(Climb + canary.Directory.TrimStart('/') + "/newdir/");

    [Fact]
    public async Task Add_of_a_tar_with_dotdot_entries_writes_nothing_outside()
    {
        using var build = await HostileBuild.StartAsync();
        var missing = build.Canary.MissingPath("dotdot");
        await new HostileTar()
            .File("ok", "ok\n")
            .File("../../escape-" + build.Canary.Token, "escaped\n")
            .File(Climb + missing.TrimStart('/') + "/escape", "escaped\n")
            .File(Climb + build.Canary.Directory.TrimStart('/') + "/escape", "escaped\n")
            .File(Climb + build.Canary.File.TrimStart('/'), "pwned\n")
            .WriteAsync(build.ContextPath("evil.tar"));

        await build.BuildAsync("FROM busybox\nADD evil.tar /x/\nRUN ls -R /x\n");
    }

    [Fact]
    public async Task Add_of_a_tar_with_absolute_entries_writes_nothing_outside()
    {
        using var build = await HostileBuild.StartAsync();
        var missing = build.Canary.MissingPath("abs");
        await new HostileTar()
            .File(missing + "/abs", "escaped\n")
            .File(build.Canary.Directory + "/abs", "escaped\n")
            .File(build.Canary.File, "pwned\n")
            .WriteAsync(build.ContextPath("evil.tar"));

        var outcome = await build.BuildAsync("FROM busybox\nADD evil.tar /x/\nRUN ls -R /x\n");

        // Accepted, an absolute name is relative to the destination, as docker extracts it.
        if (outcome.Succeeded)
        {
            Assert.Equal("escaped\n", outcome.ReadImageFile($"/x/{missing}/abs"));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Add_of_a_tar_with_a_symlink_then_entries_through_it_writes_nothing_outside(bool rootless)
    {
        using var build = await HostileBuild.StartAsync(rootless);
        var missing = build.Canary.MissingPath("link");
        await new HostileTar()
            .Symlink("link", build.Canary.Directory)
            .File("link/escape", "escaped\n")
            .File("link/canary", "pwned\n")
            .Directory("link/sub/")
            .File("link/sub/inner", "pwned\n")
            .Symlink("mlink", missing)
            .File("mlink/escape", "escaped\n")
            .WriteAsync(build.ContextPath("evil.tar"));

        await build.BuildAsync("FROM busybox\nADD evil.tar /x/\nRUN ls -laR /x\n");
    }

    [Fact]
    public async Task Add_of_a_tar_with_hardlinks_out_of_the_archive_reads_no_host_file()
    {
        using var build = await HostileBuild.StartAsync();
        var passwd = await File.ReadAllBytesAsync("/etc/passwd");
        // Mode 0644 root: were /etc/passwd linked into the store, applying this entry's metadata would change nothing.
        await new HostileTar()
            .File("ok", "ok\n")
            .Hardlink("passwd", "/etc/passwd")
            .Hardlink("up", "../../x")
            .Hardlink("relative", Climb + build.Canary.File.TrimStart('/'))
            .Hardlink("absolute", build.Canary.File)
            .File("absolute", "pwned\n") // a write through the link, were it made
            .WriteAsync(build.ContextPath("evil.tar"));

        var outcome = await build.BuildAsync("FROM busybox\nADD evil.tar /x/\nRUN cat /x/*; true\n");

        if (outcome.Succeeded)
        {
            Assert.Empty(await TreeScan.FilesEqualToAsync(outcome.Export!, passwd));
        }
    }

    [Fact]
    public async Task Add_of_a_tar_with_a_symlink_then_a_file_of_the_same_name_writes_nothing_outside()
    {
        using var build = await HostileBuild.StartAsync();
        var missing = build.Canary.MissingPath("same");
        await new HostileTar()
            .Symlink("same", build.Canary.File)
            .File("same", "pwned\n")
            .Symlink("same2", missing)
            .File("same2", "escaped\n")
            .Symlink("samedir", build.Canary.Directory)
            .Directory("samedir/")
            .File("samedir/escape", "escaped\n")
            .WriteAsync(build.ContextPath("evil.tar"));

        var outcome = await build.BuildAsync("FROM busybox\nADD evil.tar /x/\nRUN ls -la /x\n");

        // Accepted, the later entry replaces the link, as in docker.
        if (outcome.Succeeded)
        {
            Assert.Equal("pwned\n", outcome.ReadImageFile("/x/same"));
        }
    }

    [Fact]
    public async Task Add_of_a_tar_with_device_nodes_creates_none_on_the_host()
    {
        using var build = await HostileBuild.StartAsync();
        var missing = build.Canary.MissingPath("device");
        await new HostileTar()
            .CharacterDevice("null", 1, 3)
            .BlockDevice("disk", 8, 0)
            .Fifo("fifo")
            .CharacterDevice(Climb + missing.TrimStart('/'), 1, 3)
            .CharacterDevice(build.Canary.Directory + "/device", 1, 3)
            .Symlink("link", build.Canary.Directory)
            .CharacterDevice("link/device", 1, 3)
            .WriteAsync(build.ContextPath("evil.tar"));

        await build.BuildAsync("FROM busybox\nADD evil.tar /x/\nRUN ls -la /x\n");
    }

    [Fact]
    public async Task Import_of_a_hostile_rootfs_tar_then_a_RUN_leaves_the_host_alone()
    {
        using var build = await HostileBuild.StartAsync();
        var missing = build.Canary.MissingPath("import");
        var tar = await Escapes(build.Canary, missing).Tree(build.Temp.Combine("busybox"))
            .WriteAsync(build.Temp.Combine("hostile-rootfs.tar"));

        var import = await build.RunAsync(["import", tar, "-t", "hostile"]);

        if (import.Succeeded)
        {
            // The base's files become overlay lowers: a RUN on them must see only the image.
            await build.BuildAsync($"FROM hostile\nRUN cat /link/canary /same /hardlink; touch /link/pwned; ls -la / /link; true\n");
        }
    }

    [Fact]
    public async Task Load_of_a_hostile_docker_archive_then_a_RUN_leaves_the_host_alone()
    {
        using var build = await HostileBuild.StartAsync();
        var missing = build.Canary.MissingPath("load");
        var layer = Escapes(build.Canary, missing).Tree(build.Temp.Combine("busybox")).ToBytes();
        var archive = build.Temp.Combine("hostile.docker.tar");
        await File.WriteAllBytesAsync(archive, HostileTar.DockerArchive(layer, "hostile:latest"));

        var load = await build.RunAsync(["load", "-i", archive]);

        if (load.Succeeded)
        {
            await build.BuildAsync($"FROM hostile\nRUN cat /link/canary /same /hardlink; touch /link/pwned; ls -la / /link; true\n");
        }
    }

    [Fact]
    public async Task Import_of_a_rootfs_tar_with_dotdot_entries_writes_nothing_outside()
    {
        using var build = await HostileBuild.StartAsync();
        var missing = build.Canary.MissingPath("import-dotdot");
        var tar = await DotDotEscapes(build.Canary, missing).Tree(build.Temp.Combine("busybox"))
            .WriteAsync(build.Temp.Combine("hostile-rootfs.tar"));

        var import = await build.RunAsync(["import", tar, "-t", "hostile"]);

        if (import.Succeeded)
        {
            await build.BuildAsync("FROM hostile\nRUN ls -laR /; true\n");
        }
    }

    [Fact]
    public async Task Load_of_a_docker_archive_with_dotdot_layer_entries_then_a_RUN_writes_nothing_outside()
    {
        using var build = await HostileBuild.StartAsync();
        var missing = build.Canary.MissingPath("load-dotdot");
        var layer = DotDotEscapes(build.Canary, missing).Tree(build.Temp.Combine("busybox")).ToBytes();
        var archive = build.Temp.Combine("hostile.docker.tar");
        await File.WriteAllBytesAsync(archive, HostileTar.DockerArchive(layer, "hostile:latest"));

        var load = await build.RunAsync(["load", "-i", archive]);

        if (load.Succeeded)
        {
            // The layer is extracted (as an overlay lower) only when a build uses it.
            await build.BuildAsync("FROM hostile\nRUN ls -laR /; true\n");
        }
    }

    [Fact]
    public async Task Load_of_a_docker_archive_whose_own_entries_escape_writes_nothing_outside()
    {
        using var build = await HostileBuild.StartAsync();
        var missing = build.Canary.MissingPath("archive");
        var layer = new HostileTar().Tree(build.Temp.Combine("busybox")).ToBytes();
        var canary = build.Canary;
        var archive = build.Temp.Combine("hostile.docker.tar");
        // The archive itself is unpacked before its layers are read: its entries try the same ways out.
        await File.WriteAllBytesAsync(archive, HostileTar.DockerArchive(layer, "hostile:latest", tar => tar
            .File(Climb + missing.TrimStart('/') + "/dotdot", "escaped\n")
            .File(canary.Directory + "/abs", "escaped\n")
            .Symlink("link", canary.Directory)
            .File("link/escape", "escaped\n")
            .File("link/canary", "pwned\n")
            .Hardlink("hardlink", canary.File)
            .File("hardlink", "pwned\n")));

        await build.RunAsync(["load", "-i", archive]);
    }
}
