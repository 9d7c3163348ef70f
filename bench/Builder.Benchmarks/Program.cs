using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using Builder.Oci.Layers;

namespace Builder.Benchmarks;

public static class Program
{
    // dotnet run -c Release --project bench/Builder.Benchmarks -- --filter '*Parse*'
    // dotnet run -c Release --project bench/Builder.Benchmarks -- layer DIR OUT [--compression gzip|zstd|none] [--level N] [--threads N]
    // dotnet run -c Release --project bench/Builder.Benchmarks -- gen-tree DIR [FILES] [BYTES]
    // dotnet run -c Release --project bench/Builder.Benchmarks -- layer-matrix DIR [RUNS]
    // dotnet run -c Release --project bench/Builder.Benchmarks -- apply LAYER DIR
    // dotnet run -c Release --project bench/Builder.Benchmarks -- lint-corpus DIR [COUNT]   (goal: 1,000 Dockerfiles < 2 s)
    public static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "layer":
                return await LayerAsync(args[1..]);
            case "gen-tree":
                var bytes = SourceTreeGenerator.Generate(args[1],
                    args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : SourceTreeGenerator.DefaultFiles,
                    args.Length > 3 ? long.Parse(args[3], CultureInfo.InvariantCulture) : SourceTreeGenerator.DefaultBytes);
                Console.WriteLine($"{args[1]}: {bytes / 1e6:F1} MB of file content");
                return 0;
            case "apply":
                // apply LAYER DIR: extract a (compressed or plain) layer, e.g. to try the unprivileged path by hand.
                await using (var layer = await LayerDecompression.OpenUncompressedAsync(File.OpenRead(args[1]), CancellationToken.None))
                {
                    var result = await LayerApplier.ApplyAsync(layer, args[2], null, CancellationToken.None);
                    Console.WriteLine($"{result.Entries} entries");
                    foreach (var warning in result.Warnings)
                    {
                        Console.WriteLine($"warning: {warning.EntryName}: {warning.Message}");
                    }
                }
                return 0;
            case "lint-corpus":
                return LintCorpus(args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1000);
            case "layer-matrix":
                return await MatrixAsync(args[1], args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3);
            default:
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
                return 0;
        }
    }

    /// <summary>
    /// Lints COUNT Dockerfiles taken round-robin from the files under DIR (the BuildKit parser corpus), in one process,
    /// after one untimed pass (JIT): the figure issue 7 asks for.
    /// </summary>
    private static int LintCorpus(string directory, int count)
    {
        var files = Directory.EnumerateFiles(directory, "Dockerfile*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => (Name: f, Text: File.ReadAllText(f))).ToList();
        foreach (var (name, text) in files)
        {
            Builder.Lint.DockerfileLinter.Lint(text, name, Builder.Lint.LintConfig.Default);
        }
        var clock = Stopwatch.StartNew();
        var findings = 0;
        for (var i = 0; i < count; i++)
        {
            var (name, text) = files[i % files.Count];
            findings += Builder.Lint.DockerfileLinter.Lint(text, name, Builder.Lint.LintConfig.Default).Count;
        }
        clock.Stop();
        Console.WriteLine($"linted {count} Dockerfiles ({files.Count} distinct) in {clock.Elapsed.TotalSeconds:F3} s: {findings} findings; goal < 2 s: {(clock.Elapsed.TotalSeconds < 2 ? "met" : "NOT met")}");
        return 0;
    }

    /// <summary>Writes one layer of DIR to the file OUT, as a content store would, and prints what it took.</summary>
    private static async Task<int> LayerAsync(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: layer DIR OUT [--compression gzip|zstd|none] [--level N] [--threads N]");
            return 2;
        }
        var options = new LayerWriterOptions();
        for (var i = 2; i + 1 < args.Length; i += 2)
        {
            options = args[i] switch
            {
                "--compression" => options with { Compression = Enum.Parse<LayerCompression>(args[i + 1], ignoreCase: true) },
                "--level" => options with { CompressionLevel = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--threads" => options with { MaxDegreeOfParallelism = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        var clock = Stopwatch.StartNew();
        LayerDescriptor layer;
        await using (var output = new FileStream(args[1], FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            layer = await LayerWriter.WriteDirectoryAsync(args[0], output, options, CancellationToken.None);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seconds={clock.Elapsed.TotalSeconds:F3} tar_bytes={layer.UncompressedSize} compressed_bytes={layer.Compressed.Size} digest={layer.Compressed.Digest} diff_id={layer.DiffId}"));
        return 0;
    }

    /// <summary>Every variant, RUNS times each after a warm-up, to a file: median time, throughput, size.</summary>
    private static async Task<int> MatrixAsync(string directory, int runs)
    {
        var tarBytes = (await LayerWriter.WriteDirectoryAsync(directory, Stream.Null, new LayerWriterOptions { Compression = LayerCompression.None }, CancellationToken.None)).UncompressedSize;
        var output = Path.Combine(Path.GetTempPath(), "builder-layer-matrix.out");
        Console.WriteLine($"tree {directory}: tar {tarBytes / 1e6:F1} MB, {Environment.ProcessorCount} cores, {runs} runs each (median)");
        Console.WriteLine($"{"variant",-36} {"seconds",8} {"MB/s",8} {"size MB",8} {"ratio",6}");
        foreach (var variant in LayerVariants.Names)
        {
            var times = new List<double>();
            long size = 0;
            for (var run = 0; run <= runs; run++)
            {
                await using var file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
                var clock = Stopwatch.StartNew();
                size = await LayerVariants.RunAsync(variant, directory, file, CancellationToken.None);
                if (run > 0)
                {
                    times.Add(clock.Elapsed.TotalSeconds);
                }
            }
            times.Sort();
            var median = times[times.Count / 2];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{variant,-36} {median,8:F3} {tarBytes / 1e6 / median,8:F1} {size / 1e6,8:F1} {(double)tarBytes / size,6:F2}"));
        }
        File.Delete(output);
        return 0;
    }
}
