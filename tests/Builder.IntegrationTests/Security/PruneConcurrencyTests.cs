using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests.Security;

/// <summary>
/// <c>builder prune</c> while builds run in the same store: it must not delete what a running build is using or
/// has just written (its layers, its snapshot lowers, its cache records), and neither side may fail.
/// </summary>
public sealed class PruneConcurrencyTests
{
    private const int Builds = 4;
    private const int Rounds = 3;

    [Fact]
    public async Task Prune_during_parallel_builds()
    {
        using var temp = new TempDirectory("builder-sec");
        var builder = new BuilderCommand(temp.Combine("store"));
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("busybox"));
        (await builder.RunAsync("import", rootfs, "-t", "busybox")).EnsureSuccess("builder import");
        var contexts = new List<string>();
        for (var i = 0; i < Builds; i++)
        {
            var context = Directory.CreateDirectory(temp.Combine($"context{i}")).FullName;
            await File.WriteAllTextAsync(Path.Combine(context, $"file{i}.txt"), $"file-{i}\n");
            await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), $"""
                FROM busybox
                COPY file{i}.txt /data/file{i}.txt
                RUN cat /data/file{i}.txt > /data/copy && echo run1-{i} >> /data/copy
                RUN echo run2-{i} > /data/second && sleep 0.2
                """);
            contexts.Add(context);
        }
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        // --no-cache: every round does the work again, so prune always has fresh layers and snapshots to race with.
        var builds = Enumerable.Range(0, Builds).Select(async i =>
        {
            var results = new List<ToolResult>();
            for (var round = 0; round < Rounds; round++)
            {
                results.Add(await builder.RunAsync(["build", "--no-cache", "--progress", "plain", "-t", $"img{i}", contexts[i]], null, limit.Token));
            }
            return results;
        }).ToList();
        var all = Task.WhenAll(builds);
        var prunes = new List<ToolResult>();
        while (!all.IsCompleted)
        {
            prunes.Add(await builder.RunAsync(["prune"], null, limit.Token));
            await Task.Delay(100, limit.Token);
        }
        var results = await all;

        foreach (var (result, index) in results.SelectMany(r => r).Select((r, n) => (r, n)))
        {
            Assert.True(result.ExitCode == 0, $"build {index / Rounds} round {index % Rounds} failed ({result.ExitCode}):\n{result.Error}");
        }
        Assert.NotEmpty(prunes);
        foreach (var prune in prunes)
        {
            Assert.True(prune.ExitCode == 0, $"a prune during the builds failed ({prune.ExitCode}):\n{prune.Error}");
        }
        var images = (await builder.RunAsync("images")).EnsureSuccess("builder images").Out;
        for (var i = 0; i < Builds; i++)
        {
            Assert.Contains($"img{i} ", images, StringComparison.Ordinal);
            var run = (await builder.RunAsync("run", "--rm", $"img{i}", "cat", "/data/copy", "/data/second")).EnsureSuccess($"builder run img{i}");
            Assert.Equal($"file-{i}\nrun1-{i}\nrun2-{i}\n", run.Out);
        }
    }
}
