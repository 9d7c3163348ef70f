using System.Text.Json;
using Builder.Lint.Formatters;
using Json.Schema;

namespace Builder.Lint.Tests;

/// <summary>SARIF output validates against the official SARIF 2.1.0 schema (issue 7's acceptance).</summary>
public sealed class SarifSchemaTests
{
    private static readonly JsonSchema Schema =
        JsonSchema.FromText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "sarif", "sarif-schema-2.1.0.json")));

    private static EvaluationResults Evaluate(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    private static string Errors(EvaluationResults result) =>
        string.Join("; ", (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));

    [Fact]
    public void Sarif_output_of_many_findings_validates_against_the_schema()
    {
        const string dockerfile = "FROM debian\nMAINTAINER me\nRUN cd /tmp && apt-get install curl | tee log\nCMD run\nEXPOSE 80/TCP\n";
        var findings = DockerfileLinter.Lint(dockerfile, "Dockerfile", LintConfig.Default);

        var result = Evaluate(LintFormatter.Format("sarif", [("Dockerfile", findings), ("other/Dockerfile", [])]));

        Assert.True(findings.Count > 5);
        Assert.True(result.IsValid, Errors(result));
    }

    [Fact]
    public void Sarif_output_without_findings_validates_too() =>
        Assert.True(Evaluate(LintFormatter.Format("sarif", [("Dockerfile", [])])).IsValid);

    [Fact]
    public void The_schema_rejects_what_is_not_SARIF_2_1_0() =>
        Assert.False(Evaluate("""{"version":"2.0.0","runs":[]}""").IsValid);
}
