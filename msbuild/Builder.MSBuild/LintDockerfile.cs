using Builder.Dockerfile.Ignore;
using Builder.Lint;
using Builder.Lint.ShellCheck;
using Microsoft.Build.Framework;

namespace Builder.MSBuild;

/// <summary>
/// Lints the Dockerfile (hadolint's rules, BuildKit's checks, the project's .hadolint.yaml): each finding is an MSBuild
/// warning at its file, line and column with the rule id as code, or an error at or above the failure threshold.
/// </summary>
public sealed class LintDockerfile : Microsoft.Build.Utilities.Task
{
    [Required]
    public string Dockerfile { get; set; } = "";

    /// <summary>error, warning, info, style or none.</summary>
    public string FailureThreshold { get; set; } = "error";

    /// <summary>ShellCheck on RUN scripts: auto (when shellcheck is on PATH; empty means auto), off, or the executable's path.</summary>
    public string ShellCheck { get; set; } = "auto";

    public override bool Execute()
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(Dockerfile))!;
        var configPath = LintConfig.Find(directory, Environment.GetEnvironmentVariable);
        var config = configPath is null ? LintConfig.Default : LintConfig.Parse(File.ReadAllText(configPath));
        var threshold = LintConfig.ParseSeverity(FailureThreshold);
        var ignoreFile = DockerIgnore.CandidateFiles(Path.GetFileName(Dockerfile)).Select(c => Path.Combine(directory, c)).FirstOrDefault(File.Exists);
        var checker = ShellChecker.Resolve(string.IsNullOrEmpty(ShellCheck) ? "auto" : ShellCheck, Environment.GetEnvironmentVariable);
        var inputs = new LintInputs(ignoreFile is null ? null : DockerIgnore.ReadPatterns(File.ReadAllText(ignoreFile)), null, "linux/amd64") { ShellCheck = checker };
        var findings = DockerfileLinter.Lint(File.ReadAllText(Dockerfile), Path.GetFileName(Dockerfile), config, inputs);
        foreach (var finding in findings)
        {
            var helpLink = DockerfileLinter.Rule(finding.RuleId)?.DocsUri;
            if (threshold != Severity.Ignore && finding.Severity <= threshold)
            {
                Log.LogError(null, finding.RuleId, helpLink, Dockerfile, finding.Line, finding.Column, 0, 0, finding.Message);
            }
            else
            {
                Log.LogWarning(null, finding.RuleId, helpLink, Dockerfile, finding.Line, finding.Column, 0, 0, finding.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }
}
