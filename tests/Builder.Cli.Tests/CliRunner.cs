namespace Builder.Cli.Tests;

/// <summary>Runs the <c>builder</c> command in-process and captures what it prints.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Error);

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
