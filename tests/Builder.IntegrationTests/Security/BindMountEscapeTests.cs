namespace Builder.IntegrationTests.Security;

/// <summary>
/// <c>RUN --mount=type=bind,from=STAGE|IMAGE</c> (and <c>type=cache,from=</c>): the source is resolved inside that
/// stage's or image's own root. A symlink there pointing at a host directory must mean the stage's own path —
/// never the host's. Without <c>rw</c> the mount is read-only; with it, writes go to a throwaway copy.
/// </summary>
public sealed class BindMountEscapeTests
{
    /// <summary>Reads, copies into the image, and writes through whatever is mounted at /m; never fails by itself.</summary>
    internal const string ProbeDirectory =
        "cat /m/canary /m/sub/inner; cp -a /m /copied; echo pwned > /m/canary; touch /m/pwned /m/sub/pwned; rmdir /m/empty; chmod 777 /m/sub; true";

    /// <summary>The same for a single file mounted at /m/f.</summary>
    internal const string ProbeFile = "cat /m/f; cp /m/f /copied; echo pwned > /m/f; true";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stage_link_to_a_host_directory_mounted_rw_neither_reads_nor_writes_the_host(bool rootless)
    {
        using var build = await HostileBuild.StartAsync(rootless);

        // The stage's /evil points at the canary's absolute path; the stage itself has nothing there.
        await build.BuildAsync($"""
            FROM busybox AS evil
            RUN ln -s {build.Canary.Directory} /evil
            FROM busybox
            RUN --mount=type=bind,from=evil,source=/evil,target=/m,rw {ProbeDirectory}
            """);
    }

    [Fact]
    public async Task Stage_link_to_tmp_mounted_rw_writes_into_the_stage_tmp_not_the_host_one()
    {
        using var build = await HostileBuild.StartAsync();
        var missing = build.Canary.MissingPath("stage-tmp");
        var name = Path.GetFileName(missing);

        // Both the host and the stage have /tmp: the mount must be the stage's, and the write a throwaway.
        var outcome = await build.BuildAsync($"""
            FROM busybox AS evil
            RUN ln -s /tmp /evil && echo stage > /tmp/mark
            FROM busybox
            RUN --mount=type=bind,from=evil,source=/evil,target=/m,rw mkdir /m/{name} && cat /m/mark > /seen
            """);

        Assert.Equal("stage\n", outcome.ReadImageFile("/seen"));
    }

    [Fact]
    public async Task Stage_link_to_a_host_directory_mounted_read_only_is_not_read()
    {
        using var build = await HostileBuild.StartAsync();

        await build.BuildAsync($"""
            FROM busybox AS evil
            RUN ln -s {build.Canary.Directory} /evil
            FROM busybox
            RUN --mount=type=bind,from=evil,source=/evil,target=/m {ProbeDirectory}
            """);
    }

    [Fact]
    public async Task Stage_absolute_link_shows_the_stage_own_file_at_that_path()
    {
        using var build = await HostileBuild.StartAsync();

        // The stage has its own file at the host-looking path: an absolute link is re-rooted at the stage.
        var outcome = await build.BuildAsync($"""
            FROM busybox AS evil
            RUN mkdir -p {build.Canary.Directory} && echo stage > {build.Canary.Directory}/canary && ln -s {build.Canary.Directory} /evil
            FROM busybox
            RUN --mount=type=bind,from=evil,source=/evil,target=/m cat /m/canary > /seen
            """);

        Assert.Equal("stage\n", outcome.ReadImageFile("/seen"));
    }

    [Fact]
    public async Task Stage_relative_dotdot_link_is_clamped_at_the_stage_root()
    {
        using var build = await HostileBuild.StartAsync();

        // Resolved on the host, these ".." climb out of wherever the builder keeps the stage; in the stage they stop at "/".
        var climb = string.Concat(Enumerable.Repeat("../", 24));
        var outcome = await build.BuildAsync($"""
            FROM busybox AS evil
            RUN mkdir -p {build.Canary.Directory} /a/b && echo stage > {build.Canary.Directory}/canary && ln -s {climb}{build.Canary.Directory.TrimStart('/')} /a/b/evil
            FROM busybox
            RUN --mount=type=bind,from=evil,source=/a/b/evil,target=/m cat /m/canary > /seen
            """);

        Assert.Equal("stage\n", outcome.ReadImageFile("/seen"));
    }

    [Fact]
    public async Task Stage_link_chain_ending_at_a_host_directory_is_not_followed_out()
    {
        using var build = await HostileBuild.StartAsync();

        // a -> b -> c, relative hops (they lead the same way on the host), then c -> the host directory.
        await build.BuildAsync($"""
            FROM busybox AS evil
            RUN ln -s b /a && ln -s c /b && ln -s {build.Canary.Directory} /c
            FROM busybox
            RUN --mount=type=bind,from=evil,source=/a,target=/m,rw {ProbeDirectory}
            """);
    }

    [Fact]
    public async Task Stage_link_to_a_host_file_is_never_read()
    {
        using var build = await HostileBuild.StartAsync();

        await build.BuildAsync($"""
            FROM busybox AS evil
            RUN ln -s {build.Canary.File} /evil
            FROM busybox
            RUN --mount=type=bind,from=evil,source=/evil,target=/m/f,rw {ProbeFile}
            """);
    }

    [Fact]
    public async Task Stage_symlinked_parent_directory_is_not_followed_out()
    {
        using var build = await HostileBuild.StartAsync();

        // The source's parent is the link: /evil/sub is the host's canary/sub if /evil is followed on the host.
        await build.BuildAsync($"""
            FROM busybox AS evil
            RUN ln -s {build.Canary.Directory} /evil
            FROM busybox
            RUN --mount=type=bind,from=evil,source=/evil/sub,target=/m,rw cat /m/inner; cp -a /m /copied; touch /m/pwned; true
            """);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Image_link_to_a_host_directory_is_not_followed(bool rootless)
    {
        using var build = await HostileBuild.StartAsync(rootless);
        await build.BuildImageAsync("evilimg", $"FROM busybox\nRUN ln -s {build.Canary.Directory} /evil\n");

        await build.BuildAsync($"""
            FROM busybox
            RUN --mount=type=bind,from=evilimg,source=/evil,target=/m,rw {ProbeDirectory}
            """);
    }

    [Fact]
    public async Task Cache_mount_seeded_from_a_stage_link_is_not_followed_out()
    {
        using var build = await HostileBuild.StartAsync();

        await build.BuildAsync($"""
            FROM busybox AS evil
            RUN ln -s {build.Canary.Directory} /evil
            FROM busybox
            RUN --mount=type=cache,from=evil,source=/evil,target=/m {ProbeDirectory}
            """);
    }

    [Fact]
    public async Task Cache_mount_from_a_stage_starts_with_the_stage_files_resolved_inside_it()
    {
        using var build = await HostileBuild.StartAsync();

        var outcome = await build.BuildAsync($"""
            FROM busybox AS seed
            RUN mkdir -p {build.Canary.Directory} && echo stage > {build.Canary.Directory}/x && ln -s {build.Canary.Directory} /evil
            FROM busybox
            RUN --mount=type=cache,id=seeded,from=seed,source=/evil,target=/m cat /m/x > /seen && echo more > /m/added
            """);

        Assert.Equal("stage\n", outcome.ReadImageFile("/seen"));
    }

    [Fact]
    public async Task Read_only_context_bind_refuses_writes()
    {
        using var build = await HostileBuild.StartAsync();
        await build.WriteContextFileAsync("data.txt", "orig\n");

        var outcome = await build.BuildAsync("FROM busybox\nRUN --mount=type=bind,target=/m touch /m/new\n");

        Assert.Equal(1, outcome.Result.ExitCode);
        Assert.False(HostCanary.Exists(build.ContextPath("new")), "the read-only mount's write reached the context");
    }

    [Fact]
    public async Task Read_only_stage_bind_refuses_writes()
    {
        using var build = await HostileBuild.StartAsync();

        var outcome = await build.BuildAsync("""
            FROM busybox AS s
            RUN mkdir /data && echo orig > /data/f
            FROM busybox
            RUN --mount=type=bind,from=s,source=/data,target=/m touch /m/new
            """);

        Assert.Equal(1, outcome.Result.ExitCode);
    }

    [Fact]
    public async Task Rw_stage_bind_writes_go_to_a_throwaway_copy()
    {
        using var build = await HostileBuild.StartAsync();

        var outcome = await build.BuildAsync("""
            FROM busybox AS s
            RUN mkdir /data && echo orig > /data/f
            FROM busybox
            RUN --mount=type=bind,from=s,source=/data,target=/m,rw echo changed > /m/f && touch /m/new && cat /m/f > /inside
            COPY --from=s /data/f /after
            """);

        Assert.Equal("changed\n", outcome.ReadImageFile("/inside")); // the write worked in the step...
        Assert.Equal("orig\n", outcome.ReadImageFile("/after")); // ...but the stage kept its file
        Assert.False(HostCanary.Exists(outcome.ImagePath("/m/new")), "a write to the mount reached the step's layer");
        Assert.False(HostCanary.Exists(outcome.ImagePath("/m/f")), "the mount's file reached the step's layer");
    }

    [Fact]
    public async Task Rw_context_bind_writes_go_to_a_throwaway_copy()
    {
        using var build = await HostileBuild.StartAsync();
        await build.WriteContextFileAsync("data.txt", "orig\n");

        var outcome = await build.BuildAsync(
            "FROM busybox\nRUN --mount=type=bind,target=/m,rw echo changed > /m/data.txt && touch /m/new && rm /m/Dockerfile && cat /m/data.txt > /inside\n");

        Assert.Equal("changed\n", outcome.ReadImageFile("/inside"));
        Assert.Equal("orig\n", await File.ReadAllTextAsync(build.ContextPath("data.txt")));
        Assert.False(HostCanary.Exists(build.ContextPath("new")), "a write to the mount reached the context");
        Assert.True(File.Exists(build.ContextPath("Dockerfile")), "a delete in the mount reached the context");
        Assert.False(HostCanary.Exists(outcome.ImagePath("/m/new")), "a write to the mount reached the step's layer");
    }
}
