namespace Builder.IntegrationTests.Security;

/// <summary>
/// WORKDIR is made and entered inside the image: through a symlink the image has to a host path, and through
/// /proc/self/fd/N (runc CVE-2024-21626: a leaked host directory descriptor as the working directory).
/// </summary>
public sealed class WorkdirEscapeTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Workdir_through_a_link_to_a_host_directory_creates_nothing_there(bool rootless)
    {
        using var build = await HostileBuild.StartAsync(rootless);

        // newsub is not in the canary: the snapshot check sees it if WORKDIR or the RUN made it on the host.
        await build.BuildAsync($"""
            FROM busybox
            RUN ln -s {build.Canary.Directory} /w
            WORKDIR /w/newsub
            RUN touch f && cat ../canary; true
            """);
    }

    [Fact]
    public async Task Workdir_through_a_link_to_a_missing_host_path_stays_in_the_image()
    {
        using var build = await HostileBuild.StartAsync();
        var missing = build.Canary.MissingPath("workdir");

        var outcome = await build.BuildAsync($"""
            FROM busybox
            RUN ln -s {missing} /w
            WORKDIR /w/sub
            RUN touch f
            """);

        // The step worked in the image: at the link's target re-rooted there (docker), or where the link was.
        if (outcome.Succeeded)
        {
            Assert.True(File.Exists(outcome.ImagePath($"{missing}/sub/f")) || File.Exists(outcome.ImagePath("/w/sub/f")),
                "the RUN's file is in neither place in the image");
        }
    }

    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    public async Task Workdir_proc_self_fd_cannot_reach_the_host(int fd)
    {
        using var build = await HostileBuild.StartAsync();
        var climb = string.Concat(Enumerable.Repeat("../", 16));
        var canary = climb + build.Canary.Directory.TrimStart('/');

        // Leaked as the working directory, a host descriptor makes "../../.." the host's root.
        await build.BuildAsync($"""
            FROM busybox
            WORKDIR /proc/self/fd/{fd}
            RUN cat {canary}/canary; ls -la {canary}; cp -a {canary} /copied; touch {canary}/pwned; true
            """);
    }
}
