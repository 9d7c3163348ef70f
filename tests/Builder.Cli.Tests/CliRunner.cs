namespace Builder.Cli.Tests;

/// <summary>Runs the <c>builder</c> command in-process and captures what it prints.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Error);

    // Verbs that open the store use one of their own, never the machine's, deleted when the tests end.
    static CliRunner()
    {
        var root = Directory.CreateTempSubdirectory("builder-cli-tests-").FullName;
        Environment.SetEnvironmentVariable("BUILDER_ROOT", root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(root, recursive: true);
    }

    public static Result Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = BuilderCli.Run(args, new CliIo(stdout, stderr));
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    public static string BuildKit(params string[] parts) =>
        Path.Combine([AppContext.BaseDirectory, "TestData", "buildkit-parser", .. parts]);
}
