using BenchmarkDotNet.Running;

namespace Builder.Benchmarks;

public static class Program
{
    // dotnet run -c Release --project bench/Builder.Benchmarks -- --filter '*Parse*'
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
