using System.Net;
using System.Net.Sockets;
using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>
/// <c>builder run -p</c> (issue 20): the container gets a network namespace of its own (pasta), a published port
/// answers on the host, as root and as an unprivileged user; the host's loopback services are out of its reach unless
/// <c>--network host</c>.
/// </summary>
public sealed class PublishedPortTests
{
    private const string Serve = "mkdir -p /www && echo served > /www/index.html && exec httpd -f -p 8000 -h /www";

    private static async Task<BuilderCommand> BusyboxAsync(TempDirectory temp, bool unprivileged)
    {
        // User-mode networking needs /dev/net/tun open to every user, as distributions ship it (udev: MODE="0666");
        // this machine's is root's alone, so the setup gives it the usual mode, as it mounts binfmt_misc for QEMU.
        if ((File.GetUnixFileMode("/dev/net/tun") & UnixFileMode.OtherWrite) == 0)
        {
            File.SetUnixFileMode("/dev/net/tun", (UnixFileMode)Convert.ToInt32("666", 8));
        }
        ExternalTool.Require("pasta");
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("busybox"));
        var builder = unprivileged
            ? new BuilderCommand(await TestUser.OwnedDirectoryAsync(temp, "store")) { User = await TestUser.EnsureAsync() }
            : new BuilderCommand(temp.Combine("store"));
        if (unprivileged)
        {
            await TestUser.OwnedDirectoryAsync(temp, "home-" + TestUser.Name);
        }
        (await builder.RunAsync("import", rootfs, "-t", "busybox")).EnsureSuccess("import");
        return builder;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_published_port_answers_on_the_host(bool unprivileged)
    {
        using var temp = new TempDirectory();
        var builder = await BusyboxAsync(temp, unprivileged);
        var port = RegistryProcess.FreePort();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var server = builder.RunAsync(["run", "-p", $"127.0.0.1:{port}:8000", "busybox", "sh", "-c", Serve], null, stop.Token);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        string? body = null;
        for (var attempt = 0; attempt < 100 && body is null && !server.IsCompleted; attempt++)
        {
            try
            {
                body = await http.GetStringAsync($"http://127.0.0.1:{port}/");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                await Task.Delay(200);
            }
        }
        var finished = server.IsCompleted ? await server : null;
        await stop.CancelAsync();
        await server.ContinueWith(_ => { }, TaskScheduler.Default);
        Assert.True(body is not null, finished?.Error ?? "no answer");
        Assert.Equal("served\n", body);
    }

    [Fact]
    public async Task The_hosts_loopback_services_are_out_of_reach_unless_network_host()
    {
        using var temp = new TempDirectory();
        var builder = await BusyboxAsync(temp, unprivileged: false);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = 0;
        _ = Task.Run(async () =>
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                Interlocked.Increment(ref accepted);
            }
        });
        // The gateway (pasta maps it to the host's loopback by default; not here), the container's own loopback.
        var probe = $"gw=$(ip route | awk '/default/ {{ print $3 }}'); for a in $gw 127.0.0.1; do nc -w 2 $a {port} </dev/null && echo reached $a; done; echo probed";

        var own = (await builder.RunAsync("run", "--network", "bridge", "busybox", "sh", "-c", probe)).EnsureSuccess("run, own network");
        Assert.DoesNotContain("reached", own.Out, StringComparison.Ordinal);
        Assert.Equal(0, Volatile.Read(ref accepted));

        var host = (await builder.RunAsync("run", "--network", "host", "busybox", "sh", "-c", probe)).EnsureSuccess("run, host network");
        Assert.Contains("reached 127.0.0.1", host.Out, StringComparison.Ordinal);
    }
}
