namespace Builder.Cli.Tests;

/// <summary>
/// <c>builder lint --shellcheck</c>: auto (on when shellcheck is on PATH, a notice when it is not), off (exactly the
/// findings without it), or a path. Changes PATH for one case, so it runs alone.
/// </summary>
[Collection(nameof(LintShellCheckTests))]
[CollectionDefinition(nameof(LintShellCheckTests), DisableParallelization = true)]
public sealed class LintShellCheckTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("builder-lint-sc-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Dockerfile(string text)
    {
        var path = Path.Combine(_directory, "Dockerfile");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Auto_adds_SC_findings_and_off_gives_exactly_the_findings_without_them()
    {
        var dockerfile = Dockerfile("FROM debian:12\nRUN cd /tmp && echo $HOME\n");

        var auto = CliRunner.Run("lint", "-f", "gnu", dockerfile);
        var off = CliRunner.Run("lint", "-f", "gnu", "--shellcheck=off", dockerfile);

        Assert.Contains($"hadolint:{dockerfile}:2: SC2086 info: Double quote to prevent globbing and word splitting.", auto.Out, StringComparison.Ordinal);
        Assert.Equal(string.Concat(auto.Out.Split('\n').Where(l => l.Length > 0 && !l.Contains(": SC", StringComparison.Ordinal)).Select(l => l + "\n")), off.Out);
        Assert.Contains("DL3003", off.Out, StringComparison.Ordinal);
        Assert.Equal("", off.Error);
    }

    [Fact]
    public void An_explicit_path_that_is_not_there_is_a_usage_error()
    {
        var result = CliRunner.Run("lint", "--shellcheck=/nonexistent/shellcheck", Dockerfile("FROM debian:12\n"));

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: --shellcheck: no shellcheck at /nonexistent/shellcheck\n", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_shellcheck_on_PATH_auto_says_so_once_and_lints_the_rest()
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", _directory);
        try
        {
            var result = CliRunner.Run("lint", Dockerfile("FROM debian:12\nRUN cd /tmp && echo $HOME\n"), Dockerfile("FROM debian:12\nRUN cd /x\n"));

            Assert.Equal("notice: shellcheck is not on PATH: RUN scripts are not checked (install shellcheck, or pass --shellcheck=off)\n", result.Error);
            Assert.DoesNotContain(" SC", result.Out, StringComparison.Ordinal);
            Assert.Contains("DL3003", result.Out, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }
    }
}
