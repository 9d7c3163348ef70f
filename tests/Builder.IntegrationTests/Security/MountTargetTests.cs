namespace Builder.IntegrationTests.Security;

/// <summary>
/// A mount's target is a path in the container: when the image has a symlink on the way to it pointing at a host
/// path, the runtime must make the mount point inside the container, and nothing may appear at the host path.
/// </summary>
public sealed class MountTargetTests
{
    [Fact]
    public async Task Tmpfs_targets_through_links_to_host_paths_are_made_inside_the_container()
    {
        using var build = await HostileBuild.StartAsync();
        var missing = build.Canary.MissingPath("tmpfs");

        await build.BuildAsync($"""
            FROM busybox
            RUN ln -s {missing} /t && ln -s {build.Canary.Directory} /c
            RUN --mount=type=tmpfs,target=/t/x --mount=type=tmpfs,target=/c/newmnt --mount=type=tmpfs,target=/c/empty touch /t/x/f /c/newmnt/f /c/empty/f
            """);
    }

    [Fact]
    public async Task Bind_targets_through_links_to_host_paths_are_made_inside_the_container()
    {
        using var build = await HostileBuild.StartAsync();
        var missing = build.Canary.MissingPath("bind");
        await build.WriteContextFileAsync("data/x", "context\n");

        await build.BuildAsync($"""
            FROM busybox
            RUN ln -s {missing} /t && ln -s {build.Canary.Directory} /c
            RUN --mount=type=bind,source=data,target=/t/x,rw --mount=type=bind,source=data,target=/c/sub,rw --mount=type=bind,source=data/x,target=/c/canary cat /t/x/x /c/sub/x /c/canary; touch /t/x/new /c/sub/new
            """);
    }

    [Fact]
    public async Task Cache_target_through_a_link_to_a_host_path_is_made_inside_the_container()
    {
        using var build = await HostileBuild.StartAsync();
        var missing = build.Canary.MissingPath("cache");

        await build.BuildAsync($"""
            FROM busybox
            RUN ln -s {missing} /t && ln -s {build.Canary.Directory} /c
            RUN --mount=type=cache,target=/t/cache --mount=type=cache,target=/c/cache,id=second touch /t/cache/f /c/cache/f
            """);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Secret_target_under_a_linked_run_secrets_writes_nothing_on_the_host(bool rootless)
    {
        using var build = await HostileBuild.StartAsync(rootless);
        var missing = build.Canary.MissingPath("secrets");
        var secret = "build-secret-" + build.Canary.Token;
        var source = await build.WriteHostFileAsync("secret.txt", secret);

        // One target under a link to the canary, one under a link to a path the host lacks.
        var outcome = await build.BuildAsync($"""
            FROM busybox
            RUN mkdir -p /run && ln -s {build.Canary.Directory} /run/secrets && ln -s {missing} /sec
            RUN --mount=type=secret,id=s,target=/run/secrets/s --mount=type=secret,id=s,target=/sec/s cat /run/secrets/s /sec/s > /dev/null
            """, "--secret", $"id=s,src={source}");

        await AssertSecretNotLeakedAsync(outcome, secret);
    }

    [Fact]
    public async Task Secret_default_target_under_a_linked_run_writes_nothing_on_the_host()
    {
        using var build = await HostileBuild.StartAsync();
        var missing = build.Canary.MissingPath("run");
        var secret = "build-secret-" + build.Canary.Token;
        var source = await build.WriteHostFileAsync("secret.txt", secret);

        // The default target /run/secrets/s, with /run itself a link to a host path.
        var outcome = await build.BuildAsync($"""
            FROM busybox
            RUN ln -s {missing} /run
            RUN --mount=type=secret,id=s cat /run/secrets/s > /dev/null
            """, "--secret", $"id=s,src={source}");

        await AssertSecretNotLeakedAsync(outcome, secret);
    }

    private static async Task AssertSecretNotLeakedAsync(BuildOutcome outcome, string secret)
    {
        Assert.DoesNotContain(secret, outcome.Result.Out + outcome.Result.Error, StringComparison.Ordinal);
        if (outcome.Succeeded)
        {
            Assert.Empty(await TreeScan.FilesContainingAsync(outcome.Export!, System.Text.Encoding.UTF8.GetBytes(secret)));
        }
    }
}
