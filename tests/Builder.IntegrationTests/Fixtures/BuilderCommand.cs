using System.Diagnostics;

namespace Builder.IntegrationTests.Fixtures;

/// <summary>Runs the real <c>builder</c> executable (as a user would), against a store of the test's own.</summary>
public sealed class BuilderCommand(string root)
{
    /// <summary>The store directory (BUILDER_ROOT) this command uses.</summary>
    public string Root { get; } = root;

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "builder.dll");

    /// <summary>A native executable to run instead of <c>dotnet builder.dll</c> (the published, AOT-compiled builder).</summary>
    public string? Executable { get; init; }

    /// <summary>Run as this unprivileged user (through runuser) instead of as the test process's user.</summary>
    public string? User { get; init; }

    public Task<ToolResult> RunAsync(params string[] args) => RunAsync(args, null, default);

    public async Task<ToolResult> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(User is not null ? "runuser" : Executable ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (User is not null)
        {
            // runuser resets the environment: pass what the child needs through env(1).
            var home = Path.Combine(Root, "..", "home-" + User);
            foreach (var arg in new[] { "-u", User, "--", "env", $"BUILDER_ROOT={Root}", $"HOME={home}", $"DOTNET_CLI_HOME={home}",
                "DOTNET_NOLOGO=1", $"PATH={Environment.GetEnvironmentVariable("PATH")}" })
            {
                start.ArgumentList.Add(arg);
            }
            foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            {
                start.ArgumentList.Add($"{key}={value}");
            }
            start.ArgumentList.Add(Executable ?? "dotnet");
        }
        if (Executable is null)
        {
            start.ArgumentList.Add(Dll);
        }
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
