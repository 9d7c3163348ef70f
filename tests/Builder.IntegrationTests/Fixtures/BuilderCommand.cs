using System.Diagnostics;

namespace Builder.IntegrationTests.Fixtures;

/// <summary>Runs the real <c>builder</c> executable (as a user would), against a store of the test's own.</summary>
public sealed class BuilderCommand(string root)
{
    /// <summary>The store directory (BUILDER_ROOT) this command uses.</summary>
    public string Root { get; } = root;

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "builder.dll");

    public Task<ToolResult> RunAsync(params string[] args) => RunAsync(args, null, default);

    public async Task<ToolResult> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["BUILDER_ROOT"] = Root;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        return await ExternalTool.RunAsync(start, TimeSpan.FromMinutes(20), cancellationToken);
    }
}
