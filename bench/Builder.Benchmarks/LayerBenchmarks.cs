using BenchmarkDotNet.Attributes;

namespace Builder.Benchmarks;

/// <summary>
/// Writing a layer from a 130 MB / 4,000-file source-like tree (page cache warm, output to Stream.Null) by
/// each compression path. Compressed sizes: <c>layer-matrix</c> command. Goal (issue): ≥ 2× the throughput of
/// <c>tar -c | gzip -6</c>, measured side by side by bench/layer-vs-tar.sh.
/// dotnet run -c Release --project bench/Builder.Benchmarks -- --filter '*LayerBenchmarks*'
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
[MemoryDiagnoser]
public class LayerBenchmarks
{
    private string _tree = string.Empty;

    [ParamsSource(nameof(Variants))]
    public string Variant { get; set; } = string.Empty;

    public static IEnumerable<string> Variants => LayerVariants.Names;

    [GlobalSetup]
    public void Setup()
    {
        _tree = Path.Combine(Path.GetTempPath(), "builder-bench-tree");
        if (!Directory.Exists(_tree))
        {
            SourceTreeGenerator.Generate(_tree + ".partial");
            Directory.Move(_tree + ".partial", _tree);
        }
    }

    [Benchmark]
    public Task<long> WriteLayer() => LayerVariants.RunAsync(Variant, _tree, Stream.Null, CancellationToken.None);
}
