using static Builder.IntegrationTests.Security.BindMountEscapeTests;

namespace Builder.IntegrationTests.Security;

/// <summary>
/// <c>RUN --mount=type=bind</c> from the build context: a symlink in the context that points out of it (absolute,
/// "../..", a linked parent directory, a chain, a single file) is resolved inside the context, never on the host;
/// .dockerignore applies to what the mount shows.
/// </summary>
public sealed class ContextLinkTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Context_absolute_link_out_of_the_context_is_not_followed(bool rootless)
    {
        using var build = await HostileBuild.StartAsync(rootless);
        build.ContextSymlink("leak", build.Canary.Directory);

        await build.BuildAsync($"FROM busybox\nRUN --mount=type=bind,source=leak,target=/m,rw {ProbeDirectory}\n");
    }

    [Fact]
    public async Task Context_relative_dotdot_link_out_of_the_context_is_not_followed()
    {
        using var build = await HostileBuild.StartAsync();
        build.ContextSymlink("leak", string.Concat(Enumerable.Repeat("../", 24)) + build.Canary.Directory.TrimStart('/'));

        await build.BuildAsync($"FROM busybox\nRUN --mount=type=bind,source=leak,target=/m {ProbeDirectory}\n");
    }

    [Fact]
    public async Task Context_symlinked_parent_directory_is_not_followed_out()
    {
        using var build = await HostileBuild.StartAsync();
        build.ContextSymlink("dir", build.Canary.Directory);

        await build.BuildAsync($"FROM busybox\nRUN --mount=type=bind,source=dir/canary,target=/m/f,rw {ProbeFile}\n");
    }

    [Fact]
    public async Task Context_link_to_a_host_file_is_never_read()
    {
        using var build = await HostileBuild.StartAsync();
        build.ContextSymlink("leak", build.Canary.File);

        await build.BuildAsync($"FROM busybox\nRUN --mount=type=bind,source=leak,target=/m/f {ProbeFile}\n");
    }

    [Fact]
    public async Task Context_link_chain_out_of_the_context_is_not_followed()
    {
        using var build = await HostileBuild.StartAsync();
        // a -> b -> c stay in the context; c leaves it.
        build.ContextSymlink("a", "b");
        build.ContextSymlink("b", "c");
        build.ContextSymlink("c", build.Canary.Directory);

        await build.BuildAsync($"FROM busybox\nRUN --mount=type=bind,source=a,target=/m,rw {ProbeDirectory}\n");
    }

    [Fact]
    public async Task Context_absolute_link_is_re_rooted_at_the_context()
    {
        using var build = await HostileBuild.StartAsync();
        // The context holds its own copy of the host path the link names: that is what the mount must show.
        await build.WriteContextFileAsync(Path.Combine(build.Canary.Directory.TrimStart('/'), "canary"), "context\n");
        build.ContextSymlink("abs", build.Canary.Directory);

        var outcome = await build.BuildAsync("FROM busybox\nRUN --mount=type=bind,source=abs,target=/m cat /m/canary > /seen\n");

        Assert.Equal("context\n", outcome.ReadImageFile("/seen"));
    }

    [Fact]
    public async Task Context_relative_link_inside_the_context_is_followed()
    {
        using var build = await HostileBuild.StartAsync();
        // Containment must not break the ordinary case: a link to a sibling directory of the context.
        await build.WriteContextFileAsync("real/x", "inside\n");
        build.ContextSymlink("alias", "real");

        var outcome = await build.BuildAsync("FROM busybox\nRUN --mount=type=bind,source=alias,target=/m cat /m/x > /seen\n");

        Assert.Equal("inside\n", outcome.ReadImageFile("/seen"));
    }

    [Fact]
    public async Task Dockerignored_file_is_not_visible_under_a_context_bind()
    {
        using var build = await HostileBuild.StartAsync();
        var token = "ignored-" + build.Canary.Token;
        await build.WriteContextFileAsync(".dockerignore", "private.txt\n");
        await build.WriteContextFileAsync("private.txt", token + "\n");
        await build.WriteContextFileAsync("public.txt", "public\n");

        var outcome = await build.BuildAsync(
            "FROM busybox\nRUN --mount=type=bind,target=/m ls -a /m > /listing; cat /m/private.txt; cp -a /m /copied; true\n");

        var listing = outcome.ReadImageFile("/listing");
        Assert.Contains("public.txt", listing, StringComparison.Ordinal);
        Assert.DoesNotContain("private.txt", listing, StringComparison.Ordinal);
        Assert.DoesNotContain(token, outcome.Result.Error + outcome.Result.Out, StringComparison.Ordinal);
        Assert.Empty(await TreeScan.FilesContainingAsync(outcome.Export!, System.Text.Encoding.UTF8.GetBytes(token)));
    }
}
