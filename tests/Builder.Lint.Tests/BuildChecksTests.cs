namespace Builder.Lint.Tests;

/// <summary>The checks every build runs: BuildKit's only, warnings unless check=error=true, the build arg over the directive.</summary>
public sealed class BuildChecksTests
{
    private static readonly Dictionary<string, string> NoArgs = [];

    [Fact]
    public void Only_BuildKit_checks_are_reported_and_they_are_warnings()
    {
        var report = BuildChecks.Run("FROM busybox as base\nRUN cd /tmp && make\nCMD echo hi\n", "Dockerfile", NoArgs, null, "linux/amd64");

        Assert.Equal(["FromAsCasing", "JSONArgsRecommended"], report.Findings.Select(f => f.RuleId));
        Assert.False(report.Fatal);
        Assert.Equal("FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)", BuildCheckReport.Describe(report.Findings[0]));
    }

    [Theory]
    [InlineData("# check=error=true\n", null, true)]
    [InlineData("", "error=true", true)]
    [InlineData("# check=error=true\n", "skip=all", false)]
    [InlineData("# check=skip=FromAsCasing\n", null, false)]
    [InlineData("# check=skip=FromAsCasing\n", "error=true", true)] // the build arg replaces the directive whole
    public void Error_true_makes_findings_fatal_and_the_build_arg_replaces_the_directive(string directive, string? buildArg, bool fatal)
    {
        var args = buildArg is null ? NoArgs : new Dictionary<string, string> { [BuildChecks.BuildArg] = buildArg };

        var report = BuildChecks.Run(directive + "FROM busybox as base\n", "Dockerfile", args, null, "linux/amd64");

        Assert.Equal(fatal, report.Fatal);
        Assert.Equal(fatal, report.Findings.Count > 0);
    }
}
