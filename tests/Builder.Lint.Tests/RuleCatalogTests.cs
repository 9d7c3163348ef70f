using System.Text.Json.Nodes;
using Builder.Lint.Formatters;

namespace Builder.Lint.Tests;

/// <summary>Every rule has a Dockerfile that must trigger it and one that must not (its documented examples, plus cases).</summary>
public sealed class RuleCatalogTests
{
    // Rules that only act under a configuration, with the configuration that turns them on.
    private static LintConfig ConfigFor(string id) => id switch
    {
        "DL3026" => new LintConfig { TrustedRegistries = ["docker.io"] },
        "DL3049" => new LintConfig { LabelSchema = new Dictionary<string, string> { ["maintainer"] = "text" } },
        "DL3057" => new LintConfig { Overrides = new Dictionary<string, Severity> { ["DL3057"] = Severity.Warning } },
        "DL3050" => new LintConfig { LabelSchema = new Dictionary<string, string> { ["version"] = "semver" }, StrictLabels = true },
        "DL3051" => Schema("text"),
        "DL3052" => Schema("url"),
        "DL3053" => Schema("rfc3339"),
        "DL3054" => Schema("spdx"),
        "DL3055" => Schema("hash"),
        "DL3056" => Schema("semver"),
        "DL3058" => Schema("email"),
        "DL1001" => new LintConfig { DisableIgnorePragma = true, Overrides = new Dictionary<string, Severity> { ["DL1001"] = Severity.Info } },
        _ => LintConfig.Default,
    };

    // The caller's knowledge of base images, as the CLI gives it from its store: arm64v8/* images are arm64.
    private static readonly LintInputs Inputs = new(["secret.txt"], image => image.StartsWith("arm64v8/", StringComparison.Ordinal) ? "linux/arm64" : "linux/amd64", "linux/amd64");

    private static LintConfig Schema(string type) => new() { LabelSchema = new Dictionary<string, string> { ["key"] = type } };

    public static TheoryData<string> RuleIds => [.. DockerfileLinter.Rules.Select(r => r.Id)];

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void The_bad_example_triggers_the_rule(string id)
    {
        var rule = DockerfileLinter.Rule(id)!;

        var findings = DockerfileLinter.Lint(rule.BadExample, "Dockerfile", ConfigFor(id), Inputs);

        Assert.Contains(findings, f => f.RuleId == id);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void The_good_example_does_not(string id)
    {
        var rule = DockerfileLinter.Rule(id)!;

        var findings = DockerfileLinter.Lint(rule.GoodExample, "Dockerfile", ConfigFor(id), Inputs);

        Assert.DoesNotContain(findings, f => f.RuleId == id);
    }

    [Fact]
    public void Every_rule_has_docs_a_rationale_and_examples()
    {
        Assert.All(DockerfileLinter.Rules, r =>
        {
            Assert.StartsWith("https://", r.DocsUri);
            Assert.NotEmpty(r.Rationale);
            Assert.NotEqual(r.BadExample, r.GoodExample);
        });
        Assert.Equal(DockerfileLinter.Rules.Count, DockerfileLinter.Rules.Select(r => r.Id).Distinct().Count());
    }

    [Fact]
    public void Sarif_output_names_rules_with_help_uris()
    {
        var findings = DockerfileLinter.Lint("FROM debian\nMAINTAINER me\n", "Dockerfile", LintConfig.Default);

        var sarif = JsonNode.Parse(LintFormatter.Format("sarif", [("Dockerfile", findings)]))!;

        Assert.Equal("2.1.0", (string?)sarif["version"]);
        var rules = sarif["runs"]![0]!["tool"]!["driver"]!["rules"]!.AsArray();
        Assert.Contains(rules, r => (string?)r!["id"] == "DL4000" && ((string?)r["helpUri"])!.Contains("DL4000", StringComparison.Ordinal));
        Assert.Contains(sarif["runs"]![0]!["results"]!.AsArray(), r => (string?)r!["ruleId"] == "DL3006"
            && (int)r["locations"]![0]!["physicalLocation"]!["region"]!["startLine"]! == 1);
    }

    [Fact]
    public void Json_output_has_hadolints_shape()
    {
        var findings = DockerfileLinter.Lint("FROM debian:12\nRUN cd /tmp\n", "Dockerfile", LintConfig.Default);

        var json = JsonNode.Parse(LintFormatter.Format("json", [("Dockerfile", findings)]))!.AsArray();

        var finding = Assert.Single(json, f => (string?)f!["code"] == "DL3003")!;
        Assert.Equal(["code", "column", "file", "level", "line", "message"], finding.AsObject().Select(p => p.Key));
        Assert.Equal(2, (int)finding["line"]!);
        Assert.Equal("warning", (string?)finding["level"]);
    }

    [Fact]
    public void Gnu_and_checkstyle_carry_file_line_and_code()
    {
        var findings = DockerfileLinter.Lint("FROM debian:12\nMAINTAINER me\n", "Dockerfile", LintConfig.Default);

        Assert.Contains("hadolint:Dockerfile:2: DL4000 error: MAINTAINER is deprecated\n", LintFormatter.Format("gnu", [("Dockerfile", findings)]));
        Assert.Contains("<error line='2' column='1' severity='error' message='MAINTAINER is deprecated' source='DL4000' />", LintFormatter.Format("checkstyle", [("Dockerfile", findings)]));
    }
}
