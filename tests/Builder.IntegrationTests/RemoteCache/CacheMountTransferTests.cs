using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests.RemoteCache;

/// <summary>
/// <c>cache-mounts=true</c> (issue 16): what a RUN left in a <c>--mount=type=cache</c> on one runner is there for the
/// next runner's RUN, through a real registry; each runner has a store of its own.
/// </summary>
public sealed class CacheMountTransferTests
{
    [Fact]
    public async Task A_second_runner_sees_what_the_first_left_in_the_cache_mount()
    {
        ExternalTool.Require("runc");
        await using var registry = await RegistryProcess.StartAsync();
        var cache = $"type=registry,ref={registry.Host}/cache:mounts,cache-mounts=true";
        using var tempA = new TempDirectory();
        var (runnerA, contextA) = await CopySemanticsTests.BusyboxContextAsync(tempA, """
            FROM busybox
            RUN --mount=type=cache,target=/cache sh -c 'echo $RANDOM$RANDOM > /cache/a && mkdir -p /cache/sub && echo nested > /cache/sub/b && cp /cache/a /written'
            RUN --mount=type=cache,id=mine,target=/private,sharing=private sh -c 'echo private > /private/p'
            """);
        var a = await runnerA.RunAsync("build", "--progress", "plain", "-t", "a", "--cache-to", cache, "-o", $"type=local,dest={tempA.Combine("out")}", contextA);
        a.EnsureSuccess("runner A");

        using var tempB = new TempDirectory();
        var (runnerB, contextB) = await CopySemanticsTests.BusyboxContextAsync(tempB, """
            FROM busybox
            RUN --mount=type=cache,target=/cache sh -c 'cat /cache/a /cache/sub/b > /seen'
            RUN --mount=type=cache,id=mine,target=/private,sharing=private sh -c 'ls -A /private > /private-listing'
            """);
        var b = await runnerB.RunAsync("build", "--progress", "plain", "-t", "b", "--cache-from", cache, "-o", $"type=local,dest={tempB.Combine("out")}", contextB);

        b.EnsureSuccess("runner B");
        var written = await File.ReadAllTextAsync(tempA.Combine("out", "written"));
        Assert.Equal(written + "nested\n", await File.ReadAllTextAsync(tempB.Combine("out", "seen")));
        Assert.Contains("importing cache mount /cache from", b.Error);
        // sharing=private: every user has a directory of its own, so there is no one content to carry.
        Assert.Equal("", await File.ReadAllTextAsync(tempB.Combine("out", "private-listing")));
        // (B's steps differ from A's, so the step cache may warn that it had none of them; the mounts must not warn.)
        Assert.DoesNotContain((a.Error + b.Error).Split('\n'), l => l.StartsWith("WARNING", StringComparison.Ordinal) && l.Contains("cache mount"));
    }
}
