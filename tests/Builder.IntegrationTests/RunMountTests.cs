using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>
/// RUN --mount semantics that BuildKit 0.8 (the differential reference) predates or cannot show in an image: relative
/// targets under the WORKDIR, and what bind mounts read being part of the step's cache key.
/// </summary>
public sealed class RunMountTests
{
    [Fact]
    public async Task Relative_mount_targets_are_under_the_working_directory_and_leave_no_stub()
    {
        using var temp = new TempDirectory();
        ExternalTool.Require("runc");
        var (builder, context) = await CopySemanticsTests.BusyboxContextAsync(temp, "");
        await File.WriteAllTextAsync(Path.Combine(context, "data.txt"), "from the context\n");
        var secret = temp.Combine("token");
        await File.WriteAllTextAsync(secret, "s3cret");
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), """
            FROM busybox
            WORKDIR /app
            RUN --mount=type=bind,source=data.txt,target=in/data.txt --mount=type=secret,id=s,target=token --mount=type=cache,target=cache \
                cat /app/in/data.txt > /bound && wc -c < /app/token > /secret-size && touch /app/cache/x && ls /app > /listing-during
            RUN ls -A /app > /listing-after
            """);

        var build = await builder.RunAsync("build", "-t", "rel", "--secret", $"id=s,src={secret}", "-o", $"type=local,dest={temp.Combine("out")}", context);

        build.EnsureSuccess("builder build");
        Assert.Equal("from the context\n", await File.ReadAllTextAsync(temp.Combine("out", "bound")));
        Assert.Equal("6", (await File.ReadAllTextAsync(temp.Combine("out", "secret-size"))).Trim());
        Assert.Equal("cache\nin\ntoken\n", await File.ReadAllTextAsync(temp.Combine("out", "listing-during")));
        // The mount points the runtime made for the targets are not the step's work (BuildKit removes them too).
        Assert.Equal("", await File.ReadAllTextAsync(temp.Combine("out", "listing-after")));
    }

    [Fact]
    public async Task A_changed_bind_mounted_context_file_runs_the_step_again_an_unchanged_one_is_cached()
    {
        using var temp = new TempDirectory();
        ExternalTool.Require("runc");
        var (builder, context) = await CopySemanticsTests.BusyboxContextAsync(temp, "");
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"),
            "FROM busybox\nRUN --mount=type=bind,source=conf,target=/conf cat /conf/settings > /seen\n");
        Directory.CreateDirectory(Path.Combine(context, "conf"));
        await File.WriteAllTextAsync(Path.Combine(context, "conf", "settings"), "one\n");
        await File.WriteAllTextAsync(Path.Combine(context, "unrelated"), "a\n");

        (await builder.RunAsync("build", "-t", "b", context)).EnsureSuccess("first build");
        await File.WriteAllTextAsync(Path.Combine(context, "unrelated"), "b\n");
        var unchanged = await builder.RunAsync("build", "--progress", "plain", "-t", "b", context);
        await File.WriteAllTextAsync(Path.Combine(context, "conf", "settings"), "two\n");
        var changed = await builder.RunAsync("build", "--progress", "plain", "-t", "b", "-o", $"type=local,dest={temp.Combine("out")}", context);

        unchanged.EnsureSuccess("unchanged build");
        Assert.Contains("CACHED", unchanged.Error);
        changed.EnsureSuccess("changed build");
        Assert.DoesNotContain("CACHED", changed.Error.Split('\n').Where(l => l.Contains("RUN", StringComparison.Ordinal)));
        Assert.Equal("two\n", await File.ReadAllTextAsync(temp.Combine("out", "seen")));
    }

    [Fact]
    public async Task A_changed_stage_behind_a_bind_mount_runs_the_step_again()
    {
        using var temp = new TempDirectory();
        ExternalTool.Require("runc");
        var (builder, context) = await CopySemanticsTests.BusyboxContextAsync(temp, "");
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), """
            FROM busybox AS gen
            ARG V=1
            RUN echo $V > /v
            FROM busybox
            RUN --mount=type=bind,from=gen,source=/v,target=/v cat /v > /seen
            """);

        (await builder.RunAsync("build", "-t", "s", context)).EnsureSuccess("first build");
        var changed = await builder.RunAsync("build", "-t", "s", "--build-arg", "V=2", "-o", $"type=local,dest={temp.Combine("out")}", context);

        changed.EnsureSuccess("second build");
        Assert.Equal("2\n", await File.ReadAllTextAsync(temp.Combine("out", "seen")));
    }
}
