using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>BuildKit's build checks on every build: warnings after the build; fatal with check=error=true; off with skip.</summary>
public sealed class BuildChecksTests
{
    private const string Offending = "FROM busybox as base\nCMD echo hi\n";

    [Fact]
    public async Task Every_build_prints_the_checks_warnings_and_how_many_were_found()
    {
        using var temp = new TempDirectory();
        var (builder, context) = await CopySemanticsTests.BusyboxContextAsync(temp, Offending);

        var build = await builder.RunAsync("build", "--progress", "plain", "-t", "c", context);

        build.EnsureSuccess("builder build");
        Assert.Contains("WARNING: FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)", build.Error);
        Assert.Contains("2 warnings found:\n - FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)\n"
            + " - JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals (line 2)\n", build.Error);
        Assert.DoesNotContain("DL", build.Error); // hadolint's rules are `builder lint`'s, not the build's
    }

    [Theory]
    [InlineData("# check=error=true\n", new string[0])]
    [InlineData("", new[] { "--build-arg", "BUILDKIT_DOCKERFILE_CHECK=error=true" })]
    public async Task Error_true_fails_the_build_before_anything_is_built(string directive, string[] options)
    {
        using var temp = new TempDirectory();
        var (builder, context) = await CopySemanticsTests.BusyboxContextAsync(temp, directive + Offending);

        var build = await builder.RunAsync(["build", "-t", "c", .. options, context], null, CancellationToken.None);

        Assert.Equal(1, build.ExitCode);
        Assert.Contains($"error: Dockerfile:{(directive.Length > 0 ? 2 : 1)}:1: lint violation found for rules: FromAsCasing, JSONArgsRecommended", build.Error);
        Assert.DoesNotContain("c:latest", (await builder.RunAsync("images")).Out);
    }

    [Theory]
    [InlineData("# check=skip=all\n", new string[0])]
    [InlineData("# check=skip=FromAsCasing,JSONArgsRecommended\n", new string[0])]
    [InlineData("# check=error=true\n", new[] { "--build-arg", "BUILDKIT_DOCKERFILE_CHECK=skip=all" })]
    public async Task Skipped_checks_print_nothing(string directive, string[] options)
    {
        using var temp = new TempDirectory();
        var (builder, context) = await CopySemanticsTests.BusyboxContextAsync(temp, directive + Offending);

        var build = await builder.RunAsync(["build", "-t", "c", .. options, context], null, CancellationToken.None);

        build.EnsureSuccess("builder build");
        Assert.DoesNotContain("warning", build.Error, StringComparison.OrdinalIgnoreCase);
    }
}
