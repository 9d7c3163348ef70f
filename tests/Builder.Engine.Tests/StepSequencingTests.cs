using Builder.Engine.Solver;

namespace Builder.Engine.Tests;

/// <summary>
/// How a stage sequences its steps: FROM, the base's ONBUILD triggers, then each instruction; layer steps numbered and
/// reported, config steps as empty history entries; cached steps reported as such; errors at their Dockerfile line.
/// Built without root or a runtime: COPY and WORKDIR write their layers without the sandbox.
/// </summary>
public sealed class StepSequencingTests : IDisposable
{
    private readonly TestEngine _engine = new();

    public StepSequencingTests() => _engine.WriteFile("a.txt", "a");

    public void Dispose() => _engine.Dispose();

    [Fact]
    public async Task Layer_steps_are_numbered_in_their_stage_and_each_is_started_then_completed_in_order()
    {
        var (_, events) = await _engine.BuildAsync("FROM scratch AS app\nLABEL a=b\nCOPY a.txt /a.txt\nENV X=1\nWORKDIR /w\n");

        Assert.Equal(
            [
                "1 started [app 1/3] FROM scratch AS app", "1 completed",
                "2 started [app 2/3] COPY a.txt /a.txt", "2 completed",
                "3 started [app 3/3] WORKDIR /w", "3 completed",
            ],
            events.Where(e => e is not VertexPhase).Select(Describe));
    }

    [Fact]
    public async Task A_config_step_adds_an_empty_layer_history_entry_and_no_vertex()
    {
        var (image, events) = await _engine.BuildAsync("FROM scratch\nLABEL a=b\nCOPY a.txt /a.txt\nWORKDIR /\nENV X=1\n");

        Assert.Equal(
            [
                ("LABEL a=b", true, null),
                ("COPY a.txt /a.txt # buildkit", false, "buildkit.dockerfile.v0"),
                ("WORKDIR /", true, null),
                ("ENV X=1", true, null),
            ],
            image.History!.Select(h => (h.CreatedBy, h.EmptyLayer, h.Comment)));
        Assert.Single(image.RootFs.DiffIds);
        Assert.Equal(["FROM scratch", "COPY a.txt /a.txt"], events.OfType<VertexStarted>().Select(e => e.Name[(e.Name.IndexOf(']') + 2)..]));
    }

    [Fact]
    public async Task ONBUILD_triggers_run_before_the_stages_own_instructions_and_are_gone_from_its_image()
    {
        const string dockerfile = """
            FROM scratch AS base
            ONBUILD COPY a.txt /trigger.txt
            ONBUILD LABEL trigger=1
            LABEL base=1
            FROM base
            LABEL own=1
            COPY a.txt /own.txt
            """;

        var (parent, _) = await _engine.BuildAsync(dockerfile, target: "base");
        var (image, events) = await _engine.BuildAsync(dockerfile);

        Assert.Equal(["COPY a.txt /trigger.txt", "LABEL trigger=1"], parent.Config!.OnBuild);
        Assert.Equal(["LABEL base=1"], parent.History!.Select(h => h.CreatedBy));
        Assert.Null(image.Config!.OnBuild);
        Assert.Equal(
            ["LABEL base=1", "COPY a.txt /trigger.txt # buildkit", "LABEL trigger=1", "LABEL own=1", "COPY a.txt /own.txt # buildkit"],
            image.History!.Select(h => h.CreatedBy));
        var started = events.OfType<VertexStarted>().Select(e => e.Name).ToList();
        Assert.True(started.FindIndex(n => n.EndsWith("FROM base", StringComparison.Ordinal))
            < started.FindIndex(n => n.EndsWith("/trigger.txt", StringComparison.Ordinal)));
        Assert.True(started.FindIndex(n => n.EndsWith("/trigger.txt", StringComparison.Ordinal))
            < started.FindIndex(n => n.EndsWith("/own.txt", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("FROM scratch\nLABEL a=b\nCOPY missing.txt /\n", 3, "COPY missing.txt /: ")]
    [InlineData("FROM scratch\nARG S=NOPE\n\nSTOPSIGNAL $S\n", 4, "STOPSIGNAL $S: invalid signal: NOPE")]
    [InlineData("FROM scratch\nWORKDIR /a\nVOLUME /data $EMPTY\n", 3, "VOLUME /data $EMPTY: VOLUME specified can not be an empty string")]
    public async Task A_failing_step_names_its_Dockerfile_line(string dockerfile, int line, string reason)
    {
        var error = await Assert.ThrowsAsync<BuildException>(() => _engine.BuildAsync(dockerfile));

        Assert.Equal(("Dockerfile", line), (error.FileName, error.Line));
        Assert.StartsWith(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_layer_step_completes_its_vertex_with_the_reason()
    {
        await Assert.ThrowsAsync<BuildException>(() => _engine.BuildAsync("FROM scratch\nCOPY missing.txt /\n"));

        var started = Assert.Single(_engine.LastEvents.OfType<VertexStarted>(), e => e.Name.Contains("COPY", StringComparison.Ordinal));
        var completed = Assert.Single(_engine.LastEvents.OfType<VertexCompleted>(), e => e.Vertex == started.Vertex);
        Assert.Contains("missing.txt", completed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Steps_built_again_over_the_same_store_are_reported_cached_until_an_input_changes()
    {
        const string dockerfile = "FROM scratch\nCOPY a.txt /a.txt\nWORKDIR /w\n";

        var (first, firstEvents) = await _engine.BuildAsync(dockerfile);
        var (second, secondEvents) = await _engine.BuildAsync(dockerfile);
        _engine.WriteFile("a.txt", "changed");
        var (third, thirdEvents) = await _engine.BuildAsync(dockerfile);

        Assert.DoesNotContain(firstEvents, e => e is VertexCached);
        Assert.Equal(
            [
                "1 started [0 1/3] FROM scratch", "1 completed",
                "2 started [0 2/3] COPY a.txt /a.txt", "2 cached", "2 completed",
                "3 started [0 3/3] WORKDIR /w", "3 cached", "3 completed",
            ],
            secondEvents.Where(e => e is not VertexPhase).Select(Describe));
        Assert.Equal(first.RootFs.DiffIds, second.RootFs.DiffIds);
        // The COPY reads other content, and the WORKDIR after it has another parent: neither is reused.
        Assert.DoesNotContain(thirdEvents, e => e is VertexCached);
        Assert.NotEqual(first.RootFs.DiffIds[0], third.RootFs.DiffIds[0]);
    }

    [Fact]
    public async Task A_base_image_is_keyed_by_its_config_so_the_same_image_compressed_otherwise_hits_the_cache()
    {
        // A registry's copy of an image is its local copy compressed: another manifest digest, the same config (image
        // ID). Steps on either must have the same keys, or a runner that pulled the base misses every cached step.
        var store = await _engine.OpenStoreAsync();
        var rootfs = Directory.CreateDirectory(Path.Combine(_engine.Context, "..", "rootfs")).FullName;
        File.WriteAllText(Path.Combine(rootfs, "hello"), "hi");
        var plain = await Oci.Archives.ImageImport.ImportRootfsAsync(store, rootfs, Oci.Platform.Host, DateTimeOffset.UnixEpoch,
            new Oci.Layers.LayerWriterOptions { Compression = Oci.Layers.LayerCompression.None }, CancellationToken.None);
        var compressed = await new Oci.Images.ImageCompression(store).CompressAsync(plain.Descriptor, CancellationToken.None);
        Assert.NotEqual(plain.Descriptor.Digest, compressed.Digest);
        await store.SetAsync(Oci.References.ImageReference.Parse("example.test/base:plain"), plain.Descriptor, CancellationToken.None);
        await store.SetAsync(Oci.References.ImageReference.Parse("example.test/base:gzip"), compressed, CancellationToken.None);

        await _engine.BuildAsync("FROM example.test/base:plain\nCOPY a.txt /a.txt\n");
        var (_, events) = await _engine.BuildAsync("FROM example.test/base:gzip\nCOPY a.txt /a.txt\n");

        var copy = Assert.Single(events.OfType<VertexStarted>(), e => e.Name.Contains("COPY", StringComparison.Ordinal));
        Assert.Contains(events.OfType<VertexCached>(), e => e.Vertex == copy.Vertex);
    }

    [Fact]
    public async Task A_stage_based_on_a_stage_starts_from_its_variables_layers_and_history()
    {
        const string dockerfile = "FROM scratch AS base\nARG V=parent\nCOPY a.txt /a.txt\nFROM base\nWORKDIR /$V\n";

        var (parent, _) = await _engine.BuildAsync(dockerfile, target: "base");
        var (image, _) = await _engine.BuildAsync(dockerfile);

        Assert.Equal("/parent", image.Config!.WorkingDir);
        Assert.Equal(["ARG V=parent", "COPY a.txt /a.txt # buildkit", "WORKDIR /parent"], image.History!.Select(h => h.CreatedBy));
        Assert.Equal([parent.RootFs.DiffIds[0]], image.RootFs.DiffIds.Take(1));
        Assert.Equal(2, image.RootFs.DiffIds.Count);
    }

    // (Phases are timing for traces, not sequencing: BuildTraceTests covers them.)
    private static string Describe(BuildEvent buildEvent) => buildEvent switch
    {
        VertexStarted started => $"{started.Vertex} started {started.Name}",
        VertexCached cached => $"{cached.Vertex} cached",
        VertexCompleted { Error: null } completed => $"{completed.Vertex} completed",
        VertexCompleted failed => $"{failed.Vertex} failed: {failed.Error}",
        _ => buildEvent.ToString(),
    };
}
