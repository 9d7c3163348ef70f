using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Syntax;
using Builder.Lint.Rules;

namespace Builder.Lint;

/// <summary>What a caller may add to a lint: the context's ignore patterns, how to find a base image's platform, the target platform.</summary>
public sealed record LintInputs(IReadOnlyList<string>? IgnorePatterns, Func<string, string?>? BaseImagePlatform, string TargetPlatform);

/// <summary>
/// Lints a Dockerfile with every hadolint rule and BuildKit check, then applies pragmas (<c># hadolint ignore=</c>,
/// <c># hadolint global ignore=</c>, <c># check=skip=…;error=true</c>) and the configuration.
/// </summary>
public static class DockerfileLinter
{
    public static IReadOnlyList<ILintCheck> Checks { get; } =
        [new InstructionRules(), new PackageManagerRules(), new ShellRules(), new LabelRules(), new BuildKitChecks()];

    public static IReadOnlyList<LintRule> Rules { get; } = [.. Checks.SelectMany(c => c.Rules).OrderBy(r => r.Id, StringComparer.Ordinal)];

    public static LintRule? Rule(string id) => Rules.FirstOrDefault(r => string.Equals(r.Id, id, StringComparison.OrdinalIgnoreCase));

    public static IReadOnlyList<LintFinding> Lint(string text, string fileName, LintConfig config, IReadOnlyList<string>? ignorePatterns = null) =>
        Lint(text, fileName, config, new LintInputs(ignorePatterns, null, "linux/amd64"));

    /// <summary>Lints with what only the caller can know: the context's .dockerignore, base images' platforms, the target platform.</summary>
    public static IReadOnlyList<LintFinding> Lint(string text, string fileName, LintConfig config, LintInputs inputs)
    {
        var syntax = DockerfileParser.Parse(text, fileName);
        BoundDockerfile? bound = null;
        if (!syntax.HasErrors)
        {
            try
            {
                bound = Binder.Bind(syntax);
            }
            catch (DockerfileException)
            {
                // Rules that need the bound model skip a Dockerfile that does not bind; the syntax rules still run.
            }
        }
        var context = new LintContext(syntax, bound, config)
        {
            IgnorePatterns = inputs.IgnorePatterns,
            BaseImagePlatform = inputs.BaseImagePlatform,
            TargetPlatform = inputs.TargetPlatform,
        };
        var findings = Checks.SelectMany(c => c.Analyze(context)).ToList();
        return Filter(findings, syntax, config);
    }

    private static List<LintFinding> Filter(List<LintFinding> findings, DockerfileSyntax syntax, LintConfig config)
    {
        var global = new HashSet<string>(StringComparer.Ordinal);
        var perLine = new Dictionary<int, HashSet<string>>();
        var pragmaFindings = new List<LintFinding>();
        foreach (var comment in syntax.Comments)
        {
            var text = comment.Text.TrimStart('#').Trim();
            if (!text.StartsWith("hadolint", StringComparison.Ordinal))
            {
                continue;
            }
            var body = text["hadolint".Length..].Trim();
            var isGlobal = body.StartsWith("global", StringComparison.Ordinal);
            body = isGlobal ? body["global".Length..].Trim() : body;
            if (!body.StartsWith("ignore=", StringComparison.Ordinal))
            {
                continue;
            }
            var ids = body["ignore=".Length..].Split(' ')[0].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (config.DisableIgnorePragma && !isGlobal)
            {
                pragmaFindings.Add(new LintFinding("DL1001", Severity.Ignore, "Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.",
                    comment.Span.Start.Line, comment.Span.Start.Column));
                continue;
            }
            if (isGlobal)
            {
                global.UnionWith(ids);
                continue;
            }
            // An inline ignore applies to the next instruction.
            if (syntax.Instructions.FirstOrDefault(i => i.Span.Start.Line > comment.Span.Start.Line) is { } next)
            {
                if (!perLine.TryGetValue(next.Span.Start.Line, out var set))
                {
                    perLine[next.Span.Start.Line] = set = new HashSet<string>(StringComparer.Ordinal);
                }
                set.UnionWith(ids);
            }
        }
        if (config.DisableIgnorePragma)
        {
            // DL1001 is off unless the config raises it (hadolint's default level for it is "ignore").
            findings.AddRange(pragmaFindings.Select(f => f with { Severity = config.Overrides.GetValueOrDefault("DL1001", Severity.Info) }));
        }

        // BuildKit's "# check=skip=A,B;error=true" directive.
        var skipChecks = new HashSet<string>(StringComparer.Ordinal);
        // BuildKit runs experimental checks only when the directive asks for them.
        var experimental = new HashSet<string>(StringComparer.Ordinal);
        var checksAreErrors = false;
        if (syntax.Directive("check") is { } check)
        {
            foreach (var part in check.Value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var (key, value) = part.Split('=', 2) is [var k, var v] ? (k.Trim(), v.Trim()) : (part, "");
                if (key == "skip")
                {
                    skipChecks.UnionWith(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                }
                else if (key == "experimental")
                {
                    experimental.UnionWith(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                }
                else if (key == "error")
                {
                    checksAreErrors = value == "true";
                }
            }
        }

        return [.. findings
            .Where(f => !global.Contains(f.RuleId) && !config.Ignored.Contains(f.RuleId)
                && !(perLine.TryGetValue(f.Line, out var ids) && ids.Contains(f.RuleId))
                && !(BuildKitChecks.IsCheck(f.RuleId) && (skipChecks.Contains(f.RuleId) || skipChecks.Contains("all")))
                && !(BuildKitChecks.IsExperimental(f.RuleId) && !experimental.Contains(f.RuleId) && !experimental.Contains("all")))
            .Select(f => config.Overrides.TryGetValue(f.RuleId, out var severity) ? f with { Severity = severity }
                : checksAreErrors && BuildKitChecks.IsCheck(f.RuleId) ? f with { Severity = Severity.Error } : f)
            .Where(f => f.Severity != Severity.Ignore)
            .OrderBy(f => f.Line).ThenBy(f => f.Column).ThenBy(f => f.RuleId, StringComparer.Ordinal)];
    }

    /// <summary>Whether findings fail the lint at <paramref name="threshold"/> (hadolint's --failure-threshold).</summary>
    public static bool Fails(IEnumerable<LintFinding> findings, Severity threshold) =>
        threshold != Severity.Ignore && findings.Any(f => f.Severity <= threshold);
}
