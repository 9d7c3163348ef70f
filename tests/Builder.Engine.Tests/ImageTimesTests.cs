using Builder.Oci.Images;

namespace Builder.Engine.Tests;

/// <summary>
/// An image's times come from when its layers were made, as BuildKit's exporter has them, never from when it is
/// written: a rebuild that changes nothing gives the same config, hence the same image ID.
/// </summary>
public sealed class ImageTimesTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset T1 = T0.AddDays(1);
    private static readonly DateTimeOffset T2 = T0.AddDays(2);
    private readonly TestEngine _engine = new();

    public void Dispose() => _engine.Dispose();

    public static TheoryData<DateTimeOffset?[], DateTimeOffset?[]> Histories => new()
    {
        // base, ENV, RUN, CMD: the config steps take the first new layer's time.
        { [T0, null, T1, null], [T0, T1, T1, T1] },
        // later gaps take the latest time seen since the first gap.
        { [T0, null, T1, null, T2, null], [T0, T1, T1, T1, T2, T2] },
        // no new layer: the base's last time.
        { [T0, T1, null, null], [T0, T1, T1, T1] },
        { [T0, T1], [T0, T1] },
        // nothing has a time (scratch, config instructions only): none, as BuildKit writes it.
        { [null, null], [null, null] },
    };

    [Theory]
    [MemberData(nameof(Histories))]
    public void Missing_history_times_are_filled_as_BuildKit_fills_them(DateTimeOffset?[] times, DateTimeOffset?[] expected)
    {
        var history = times.Select(t => new HistoryEntry { Created = t is { } v ? v : null, CreatedBy = "x" }).ToList();

        var filled = HistoryTimes.Fill(history);

        Assert.Equal(expected, filled.Select(h => h.Created?.Value));
    }

    [Fact]
    public async Task A_rebuild_that_changes_nothing_gives_the_same_config_and_a_changed_label_keeps_the_layers_time()
    {
        _engine.WriteFile("a.txt", "a");
        const string dockerfile = "FROM scratch\nCOPY a.txt /a.txt\nENV X=1\n";

        var (first, _) = await _engine.BuildAsync(dockerfile);
        await Task.Delay(20);
        var (again, _) = await _engine.BuildAsync(dockerfile);
        var (labelled, _) = await _engine.BuildAsync(dockerfile + "LABEL l=1\n");

        Assert.Equal(OciJson.ToBlob(first).Digest, OciJson.ToBlob(again).Digest);
        var layerTime = first.History![0].Created;
        Assert.Equal(layerTime, first.Created);
        Assert.Equal([layerTime, layerTime], first.History.Select(h => h.Created));
        Assert.Equal(layerTime, labelled.Created);
        Assert.Equal(layerTime, labelled.History![^1].Created);
    }

    [Fact]
    public async Task An_image_of_config_instructions_only_has_no_time_and_the_same_ID_every_build()
    {
        var (first, _) = await _engine.BuildAsync("FROM scratch\nENV X=1\nCMD [\"x\"]\n");
        await Task.Delay(20);
        var (again, _) = await _engine.BuildAsync("FROM scratch\nENV X=1\nCMD [\"x\"]\n");

        Assert.Null(first.Created);
        Assert.Equal(OciJson.ToBlob(first).Digest, OciJson.ToBlob(again).Digest);
    }

    [Fact]
    public async Task A_changed_layer_gets_a_new_time()
    {
        _engine.WriteFile("a.txt", "a");
        var (first, _) = await _engine.BuildAsync("FROM scratch\nCOPY a.txt /a.txt\n");
        await Task.Delay(20);
        _engine.WriteFile("a.txt", "b");

        var (second, _) = await _engine.BuildAsync("FROM scratch\nCOPY a.txt /a.txt\n");

        Assert.True(second.Created!.Value.Value > first.Created!.Value.Value);
        Assert.Equal(second.History![0].Created, second.Created);
    }
}
