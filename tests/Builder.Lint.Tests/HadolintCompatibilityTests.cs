using System.Text.Json.Nodes;
using Builder.Lint.Formatters;
using static Builder.Lint.Tests.Behaviour;

namespace Builder.Lint.Tests;

/// <summary>hadolint beyond its rules: ignore pragmas, .hadolint.yaml, failure thresholds and output formats.</summary>
public sealed class HadolintCompatibilityTests
{
    public static TheoryData<string, string, int[]> PragmaCases => new()
    {
        { "DL3002", Lines("FROM ubuntu:24.04", "# hadolint ignore=DL3002", "USER root"), [] },
        { "DL3002", Lines("FROM ubuntu:24.04", "# hadolint ignore=DL3001", "USER root"), [3] },
        { "DL3002", Lines("FROM ubuntu:24.04", "# hadolint ignore=DL3001,DL3002", "USER root"), [] },
        { "DL3002", Lines("# hadolint ignore=DL3001,DL3002", "FROM ubuntu:24.04", "USER root"), [3] },
        { "DL3002", Lines("FROM ubuntu:24.04", "# hadolint ignore=bogus,DL3002", "USER root"), [3] },
        { "DL3023", Lines("FROM node:20 AS app", "# hadolint ignore=DL3023, DL3021", "COPY --from=app a b ."), [] },
        { "DL3021", Lines("FROM node:20 AS app", "# hadolint ignore=DL3023, DL3021", "COPY --from=app a b ."), [] },
        { "DL3021", Lines("FROM node:20 AS app", "#hadolint ignore=DL3021", "COPY a b ."), [] },
        { "DL3021", Lines("FROM node:20 AS app", "# hadolint ignore = DL3021 # the directory is made elsewhere", "COPY a b ."), [] },
        { "DL3021", Lines("FROM node:20 AS app", "# hadolint ignore=dl3021", "COPY a b ."), [3] },
        { "DL3021", Lines("FROM node:20 AS app", "# hadolint ignore=DL3021", "", "COPY a b ."), [4] },
        { "DL3003", Lines("FROM alpine:3.20", "# hadolint ignore=DL3003", "RUN cd /a", "RUN cd /b"), [4] },
        { "DL3002", Lines("# hadolint global ignore=DL3002", "FROM ubuntu:24.04", "USER root"), [] },
        { "DL3023", Lines("# hadolint global ignore = DL3023 , DL3021", "FROM node:20 AS app", "COPY --from=app a b ."), [] },
        { "DL3021", Lines("# hadolint global ignore = DL3023 , DL3021", "FROM node:20 AS app", "COPY --from=app a b ."), [] },
        { "DL3003", Lines("FROM alpine:3.20", "RUN cd /a", "# hadolint global ignore=DL3003"), [] },
        { "DL3011", Lines("FROM alpine:3.20", "EXPOSE 80000", "# hadolint stage ignore=DL3011", "FROM alpine:3.20", "EXPOSE 80000", "FROM alpine:3.20", "EXPOSE 80000"), [2, 7] },
        { "DL3011", Lines("# hadolint stage ignore=DL3011", "", "FROM alpine:3.20", "EXPOSE 80000"), [4] },
    };

    [Theory]
    [MemberData(nameof(PragmaCases))]
    public void Ignore_pragmas_apply_where_hadolint_applies_them(string id, string dockerfile, int[] lines) =>
        Assert.Equal(lines, LinesOf(id, dockerfile));

    [Fact]
    public void Disabling_ignore_pragmas_disables_every_kind()
    {
        var dockerfile = Lines("# hadolint global ignore=DL3003", "FROM alpine:3.20", "# hadolint ignore=DL3003", "RUN cd /a");

        Assert.Equal([4], LinesOf("DL3003", dockerfile, new LintConfig { DisableIgnorePragma = true }));
        Assert.Empty(LinesOf("DL3003", dockerfile));
    }

    [Fact]
    public void Every_inline_ignore_pragma_is_a_DL1001_finding_when_raised()
    {
        var raised = new LintConfig { Overrides = new Dictionary<string, Severity> { ["DL1001"] = Severity.Warning } };

        Assert.Equal([1], LinesOf("DL1001", Lines("# hadolint ignore=DL3003", "RUN foo bar"), raised));
        Assert.Empty(LinesOf("DL1001", Lines("# hadolint shell=powershell", "RUN foo bar"), raised));
        Assert.Empty(LinesOf("DL1001", Lines("# just a note", "RUN foo bar"), raised));
        Assert.Empty(LinesOf("DL1001", Lines("FROM debian:12", "RUN foo bar"), raised));
        Assert.DoesNotContain(DockerfileLinter.Lint(Lines("# hadolint ignore=DL3003", "RUN cd /a"), "Dockerfile", LintConfig.Default), f => f.RuleId == "DL1001");
    }

    [Fact]
    public void The_config_file_reads_hadolints_keys()
    {
        var config = LintConfig.Parse("""
            ignored:
              - DL3003
              - SC1020
            override:
              error: [DL3059]
              warning: [DL3015]
              info: [DL3008]
              style: [DL3014]
            trustedRegistries:
              - docker.io
            trusted-registries:
              - mirror.example.com
            label-schema:
              owner: text
              home: url
            strict-labels: true
            failure-threshold: warning
            no-fail: true
            disable-ignore-pragma: true
            """);

        Assert.Equal(["DL3003", "SC1020"], config.Ignored.Order());
        Assert.Equal(Severity.Error, config.Overrides["DL3059"]);
        Assert.Equal(Severity.Warning, config.Overrides["DL3015"]);
        Assert.Equal(Severity.Info, config.Overrides["DL3008"]);
        Assert.Equal(Severity.Style, config.Overrides["DL3014"]);
        Assert.Equal(["docker.io", "mirror.example.com"], config.TrustedRegistries);
        Assert.Equal("url", config.LabelSchema["home"]);
        Assert.True(config.StrictLabels);
        Assert.True(config.NoFail);
        Assert.True(config.DisableIgnorePragma);
        Assert.Equal(Severity.Warning, config.FailureThreshold);
        Assert.False(LintConfig.Parse("strict-labels: false\nno-fail: false").StrictLabels);
        Assert.Equal(Severity.Info, LintConfig.Default.FailureThreshold);
    }

    [Fact]
    public void Overridden_and_ignored_rules_change_what_is_reported()
    {
        var config = LintConfig.Parse("ignored: [DL3003]\noverride:\n  error: [DL3059]\n  style: [DL3008]");

        var findings = DockerfileLinter.Lint(Lines("FROM debian:12", "RUN cd /a", "RUN apt-get install -y --no-install-recommends jq"), "Dockerfile", config);

        Assert.DoesNotContain(findings, f => f.RuleId == "DL3003");
        Assert.Equal(Severity.Error, Assert.Single(findings, f => f.RuleId == "DL3059").Severity);
        Assert.Equal(Severity.Style, Assert.Single(findings, f => f.RuleId == "DL3008").Severity);
    }

    public static TheoryData<string, Severity[], bool> ThresholdCases => new()
    {
        { "error", [Severity.Warning, Severity.Info], false },
        { "error", [Severity.Error], true },
        { "warning", [Severity.Warning], true },
        { "warning", [Severity.Info, Severity.Style], false },
        { "info", [Severity.Info], true },
        { "info", [Severity.Style], false },
        { "style", [Severity.Style], true },
        { "none", [Severity.Error], false },
        { "ignore", [Severity.Error], false },
    };

    [Theory]
    [MemberData(nameof(ThresholdCases))]
    public void The_failure_threshold_decides_the_exit(string threshold, Severity[] severities, bool fails)
    {
        var findings = severities.Select(s => new LintFinding("DL3000", s, "m", 1, 1));

        Assert.Equal(fails, DockerfileLinter.Fails(findings, LintConfig.ParseSeverity(threshold)));
        Assert.Equal(LintConfig.ParseSeverity(threshold), LintConfig.Parse($"failure-threshold: {threshold}").FailureThreshold);
    }

    [Fact]
    public void The_config_is_searched_where_hadolint_searches()
    {
        var candidates = LintConfig.Candidates("/work/project", name => name switch { "HOME" => "/home/me", _ => null });

        Assert.Equal(
        [
            "/work/project/.hadolint.yaml", "/work/project/.hadolint.yml", "/home/me/.config/hadolint.yaml", "/home/me/.config/hadolint.yml",
            "/home/me/.hadolint/hadolint.yaml", "/home/me/.hadolint/hadolint.yml", "/home/me/.hadolint/config.yaml", "/home/me/.hadolint/config.yml",
            "/home/me/.hadolint.yaml", "/home/me/.hadolint.yml",
        ], candidates);
    }

    private static readonly IReadOnlyList<LintFinding> TwoFindings =
        [new("DL2001", Severity.Warning, "test", 1, 1), new("DL2003", Severity.Info, "test 2", 3, 1)];

    [Fact]
    public void Json_is_one_array_of_hadolints_objects()
    {
        var json = LintFormatter.Format("json", [("<string>", TwoFindings)]);

        Assert.Equal("""[{"code":"DL2001","column":1,"file":"<string>","level":"warning","line":1,"message":"test"},{"code":"DL2003","column":1,"file":"<string>","level":"info","line":3,"message":"test 2"}]""" + "\n", json);
        Assert.Equal("[]\n", LintFormatter.Format("json", [("<string>", [])]));
        Assert.Equal(2, JsonNode.Parse(json)!.AsArray().Count);
    }

    [Fact]
    public void Gnu_prints_hadolint_file_line_code_level_and_message()
    {
        Assert.Equal("hadolint:<string>:1: DL2001 warning: test\nhadolint:<string>:3: DL2003 info: test 2\n", LintFormatter.Format("gnu", [("<string>", TwoFindings)]));
        Assert.Equal("", LintFormatter.Format("gnu", [("<string>", [])]));
    }

    [Fact]
    public void Checkstyle_is_hadolints_single_line_xml()
    {
        var xml = LintFormatter.Format("checkstyle", [("Dockerfile", [new LintFinding("DL3003", Severity.Warning, "Use WORKDIR", 2, 1)]), ("Other", [])]);

        Assert.Equal("<?xml version='1.0' encoding='UTF-8'?><checkstyle version='4.3'><file name='Dockerfile' >"
            + "<error line='2' column='1' severity='warning' message='Use WORKDIR' source='DL3003' /></file></checkstyle>", xml);
        Assert.Contains("message='Use &#96;COPY&#96; &#38; more' ", LintFormatter.Format("checkstyle", [("D", [new LintFinding("X", Severity.Style, "Use `COPY` & more", 1, 1)])]));
    }

    [Fact]
    public void Tty_prints_file_line_code_level_and_message()
    {
        Assert.Equal("Dockerfile:1 DL2001 warning: test\nDockerfile:3 DL2003 info: test 2\n",
            LintFormatter.Format("tty", [("Dockerfile", TwoFindings)]).Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    [Fact]
    public void A_finding_is_reported_on_the_first_line_of_its_instruction()
    {
        Assert.Equal([2], LinesOf("DL3008", Lines("FROM debian:12", "RUN apt-get update \\", "  && apt-get install -y \\", "     curl")));
    }
}
