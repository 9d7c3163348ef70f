using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>Issue 5 as an unprivileged user: the CLI re-executes itself in a user namespace and runs steps rootless.</summary>
public sealed class RootlessTests
{
    private static async Task<BuilderCommand> BusyboxAsUserAsync(TempDirectory temp)
    {
        var user = await TestUser.EnsureAsync();
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("busybox"));
        var builder = new BuilderCommand(await TestUser.OwnedDirectoryAsync(temp, "store")) { User = user };
        await TestUser.OwnedDirectoryAsync(temp, "home-" + user);
        (await builder.RunAsync("import", rootfs, "-t", "busybox")).EnsureSuccess("builder import as " + user);
        return builder;
    }

    [Fact]
    public async Task An_unprivileged_run_is_root_of_its_namespace_with_a_subordinate_range_for_chown()
    {
        using var temp = new TempDirectory();
        var builder = await BusyboxAsUserAsync(temp);

        var result = await builder.RunAsync("run", "busybox", "sh", "-c", "id -u; cat /proc/self/uid_map | wc -l; touch /tmp/f && chown 1000:1000 /tmp/f && stat -c %u:%g /tmp/f; exit 5");

        Assert.Equal(5, result.ExitCode);
        Assert.Equal(["0", "2", "1000:1000"], result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task An_unprivileged_run_without_network_sees_only_loopback()
    {
        using var temp = new TempDirectory();
        var builder = await BusyboxAsUserAsync(temp);

        var result = await builder.RunAsync("run", "--network", "none", "busybox", "sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '");

        result.EnsureSuccess("builder run --network none");
        Assert.Equal("lo", result.Out.Trim());
    }
}
