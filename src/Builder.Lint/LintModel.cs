using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Syntax;

namespace Builder.Lint;

/// <summary>hadolint's levels (and BuildKit's, mapped onto them); <see cref="Ignore"/> turns a rule off.</summary>
public enum Severity
{
    Error,
    Warning,
    Info,
    Style,
    Ignore,
}

/// <summary>A rule: its id (DL3008, JSONArgsRecommended), what it checks, why, and a bad and a good example.</summary>
public sealed record LintRule(string Id, string Title, Severity DefaultSeverity, string DocsUri, string Rationale, string BadExample, string GoodExample);

/// <summary>One finding at a line and column of the Dockerfile.</summary>
public sealed record LintFinding(string RuleId, Severity Severity, string Message, int Line, int Column);

/// <summary>What checks see: the syntax tree (always), the bound model (when binding succeeded), the configuration.</summary>
public sealed record LintContext(DockerfileSyntax Syntax, BoundDockerfile? Bound, LintConfig Config)
{
    /// <summary>.dockerignore patterns of the build context, when known (CopyIgnoredFile needs them).</summary>
    public IReadOnlyList<string>? IgnorePatterns { get; init; }

    /// <summary>
    /// The platform ("linux/amd64") of a base image the caller can look up (in its local store), or null when it
    /// cannot; lint itself does no I/O. InvalidBaseImagePlatform needs it.
    /// </summary>
    public Func<string, string?>? BaseImagePlatform { get; init; }

    /// <summary>The platform the build targets.</summary>
    public string TargetPlatform { get; init; } = "linux/amd64";
}

/// <summary>A family of rules; each finding names one of <see cref="Rules"/>.</summary>
public interface ILintCheck
{
    IReadOnlyList<LintRule> Rules { get; }

    IEnumerable<LintFinding> Analyze(LintContext context);
}

internal static class Finding
{
    public static LintFinding At(LintRule rule, InstructionSyntax instruction, string? message = null) =>
        new(rule.Id, rule.DefaultSeverity, message ?? rule.Title, instruction.Span.Start.Line, instruction.Span.Start.Column);

    public static LintFinding At(LintRule rule, TextSpan span, string? message = null) =>
        new(rule.Id, rule.DefaultSeverity, message ?? rule.Title, span.Start.Line, span.Start.Column);
}
