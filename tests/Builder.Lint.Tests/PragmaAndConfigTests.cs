namespace Builder.Lint.Tests;

public sealed class PragmaAndConfigTests
{
    [Fact]
    public void An_inline_ignore_applies_to_the_next_instruction_only()
    {
        var findings = DockerfileLinter.Lint("FROM debian:12\n# hadolint ignore=DL3003\nRUN cd /a\nRUN cd /b\n", "Dockerfile", LintConfig.Default);

        Assert.Equal([4], findings.Where(f => f.RuleId == "DL3003").Select(f => f.Line));
    }

    [Fact]
    public void A_global_ignore_applies_everywhere()
    {
        var findings = DockerfileLinter.Lint("# hadolint global ignore=DL3003,DL3059\nFROM debian:12\nRUN cd /a\nRUN cd /b\n", "Dockerfile", LintConfig.Default);

        Assert.DoesNotContain(findings, f => f.RuleId is "DL3003" or "DL3059");
    }

    [Fact]
    public void BuildKits_check_directive_skips_checks_and_can_make_them_errors()
    {
        const string dockerfile = "# check=skip=StageNameCasing;error=true\nFROM debian:12 AS Build\nCMD echo hi\n";

        var findings = DockerfileLinter.Lint(dockerfile, "Dockerfile", LintConfig.Default);

        Assert.DoesNotContain(findings, f => f.RuleId == "StageNameCasing");
        Assert.Equal(Severity.Error, Assert.Single(findings, f => f.RuleId == "JSONArgsRecommended").Severity);
    }

    [Fact]
    public void The_config_ignores_and_overrides_rules()
    {
        var config = LintConfig.Parse("""
            ignored: [DL3003]
            override:
              error: [DL3059]
            failure-threshold: error
            trustedRegistries:
              - docker.io
            """);

        var findings = DockerfileLinter.Lint("FROM debian:12\nRUN cd /a\nRUN echo b\n", "Dockerfile", config);

        Assert.DoesNotContain(findings, f => f.RuleId == "DL3003");
        Assert.Equal(Severity.Error, Assert.Single(findings, f => f.RuleId == "DL3059").Severity);
        Assert.Equal(Severity.Error, config.FailureThreshold);
        Assert.Equal(["docker.io"], config.TrustedRegistries);
        Assert.True(DockerfileLinter.Fails(findings, config.FailureThreshold));
    }

    [Theory]
    [InlineData("RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88 && rm -rf /var/lib/apt/lists/*", new string[0])]
    [InlineData("RUN sudo apt-get install curl", new[] { "DL3004", "DL3008", "DL3014", "DL3015" })]
    [InlineData("RUN sh -c 'apt install -y x'", new[] { "DL3027" })]
    [InlineData("RUN pip install --no-cache-dir -r requirements.txt", new string[0])]
    [InlineData("RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt", new string[0])]
    [InlineData("RUN echo 'apt-get install curl' > notes.txt", new string[0])]
    public void Package_rules_see_commands_not_substrings(string run, string[] expected)
    {
        var findings = DockerfileLinter.Lint($"FROM debian:12\n{run}\n", "Dockerfile", LintConfig.Default);

        Assert.Equal(expected.Order(), findings.Select(f => f.RuleId).Where(id => id.StartsWith("DL3", StringComparison.Ordinal) && id != "DL3059").Distinct().Order());
    }

    [Fact]
    public void Shell_commands_split_on_operators_outside_quotes_and_drop_prefixes()
    {
        var commands = ShellCommands.Parse("sudo env A=1 apt-get install -y x && echo 'a && b' | tee f; bash -c \"npm i y\"");

        Assert.Equal(["apt-get", "echo", "tee", "npm"], commands.Select(c => c.Name));
        Assert.Equal(["a && b"], commands[1].Args);
    }
}
