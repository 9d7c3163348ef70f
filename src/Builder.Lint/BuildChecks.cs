namespace Builder.Lint;

/// <summary>What BuildKit's checks found in a Dockerfile a build is about to build, and whether they fail it.</summary>
/// <param name="Fatal">True when <c>check=error=true</c> (the directive or BUILDKIT_DOCKERFILE_CHECK) makes them errors.</param>
public sealed record BuildCheckReport(IReadOnlyList<LintFinding> Findings, bool Fatal)
{
    /// <summary>One finding as BuildKit prints it: <c>JSONArgsRecommended: JSON arguments recommended … (line 3)</c>.</summary>
    public static string Describe(LintFinding finding) => $"{finding.RuleId}: {finding.Message} (line {finding.Line})";
}

/// <summary>
/// The checks <c>docker build</c> runs on every build (BuildKit's, not hadolint's DL rules): warnings, or errors with
/// <c># check=error=true</c>; <c># check=skip=…</c> and the build arg <c>BUILDKIT_DOCKERFILE_CHECK</c> (which takes the
/// directive's place) turn them off.
/// </summary>
public static class BuildChecks
{
    public const string BuildArg = "BUILDKIT_DOCKERFILE_CHECK";

    public static BuildCheckReport Run(string text, string fileName, IReadOnlyDictionary<string, string> buildArgs, IReadOnlyList<string>? ignorePatterns,
        string targetPlatform)
    {
        var inputs = new LintInputs(ignorePatterns, null, targetPlatform) { CheckDirective = buildArgs.GetValueOrDefault(BuildArg) };
        var findings = DockerfileLinter.Lint(text, fileName, LintConfig.Default, inputs)
            .Where(f => Rules.BuildKitChecks.IsCheck(f.RuleId))
            .ToList();
        return new BuildCheckReport(findings, findings.Any(f => f.Severity == Severity.Error));
    }
}
