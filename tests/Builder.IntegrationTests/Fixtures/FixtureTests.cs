namespace Builder.IntegrationTests.Fixtures;

/// <summary>The fixtures themselves work: a registry answers, a busybox tree runs its shell.</summary>
public sealed class FixtureTests
{
    [Fact]
    public async Task Registry_process_serves_the_distribution_api()
    {
        await using var registry = await RegistryProcess.StartAsync();

        using var client = new HttpClient();
        var response = await client.GetAsync($"http://{registry.Host}/v2/");

        Assert.True(response.IsSuccessStatusCode, registry.Log);
    }

    [Fact]
    public async Task Busybox_rootfs_has_a_shell_and_users()
    {
        using var temp = new TempDirectory();

        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs"));

        Assert.Equal("busybox", new FileInfo(Path.Combine(rootfs, "bin", "sh")).LinkTarget);
        Assert.Contains("app:x:1000", await File.ReadAllTextAsync(Path.Combine(rootfs, "etc", "passwd")));
    }
}
