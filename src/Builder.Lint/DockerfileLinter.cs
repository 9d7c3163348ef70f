using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Syntax;
using Builder.Lint.Rules;
using Builder.Lint.ShellCheck;

namespace Builder.Lint;

/// <summary>What a caller may add to a lint: the context's ignore patterns, how to find a base image's platform, the target platform.</summary>
public sealed record LintInputs(IReadOnlyList<string>? IgnorePatterns, Func<string, string?>? BaseImagePlatform, string TargetPlatform)
{
    /// <summary>A <c># check=</c> directive's value that replaces the Dockerfile's own (the BUILDKIT_DOCKERFILE_CHECK build arg).</summary>
    public string? CheckDirective { get; init; }

    /// <summary>ShellCheck for the RUN scripts (SC findings), or null for none.</summary>
    public ShellChecker? ShellCheck { get; init; }
}

/// <summary>
/// Lints a Dockerfile with every hadolint rule and BuildKit check, then applies pragmas (<c># hadolint ignore=</c>,
/// <c># hadolint global ignore=</c>, <c># check=skip=…;error=true</c>) and the configuration.
/// </summary>
public static class DockerfileLinter
{
    public static IReadOnlyList<ILintCheck> Checks { get; } =
        [new InstructionRules(), new PackageManagerRules(), new ShellRules(), new LabelRules(), new BuildKitChecks()];

    public static IReadOnlyList<LintRule> Rules { get; } = [.. Checks.SelectMany(c => c.Rules).OrderBy(r => r.Id, StringComparer.Ordinal)];

    /// <summary>A DL rule, a BuildKit check, or an SC code (<see cref="ShellCheckRules"/>); null for anything else.</summary>
    public static LintRule? Rule(string id) => Rules.FirstOrDefault(r => string.Equals(r.Id, id, StringComparison.OrdinalIgnoreCase)) ?? ShellCheckRules.Rule(id);

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
        // ShellCheck (another process) checks the RUN scripts while the rules run here.
        var shellCheck = inputs.ShellCheck is { } checker ? Task.Run(() => ShellCheckFindings(checker, ShellCheckScripts.Of(syntax))) : null;
        var findings = Checks.SelectMany(c => c.Analyze(context)).ToList();
        if (shellCheck is not null)
        {
            findings.AddRange(shellCheck.GetAwaiter().GetResult());
        }
        return Filter(findings, syntax, config, inputs.CheckDirective ?? syntax.Directive("check")?.Value);
    }

    /// <summary>The scripts of every RUN in <paramref name="text"/> that ShellCheck is given, to check many Dockerfiles' in one batch first.</summary>
    public static IEnumerable<string> ShellCheckScriptsOf(string text, string fileName) =>
        ShellCheckScripts.Of(DockerfileParser.Parse(text, fileName)).Select(s => s.Text);

    // hadolint's SC findings: the code, ShellCheck's level and message, at the RUN's line (a heredoc body's at its own), each once.
    private static IEnumerable<LintFinding> ShellCheckFindings(ShellChecker checker, IReadOnlyList<ShellCheckScript> scripts)
    {
        checker.Prefetch(scripts.Select(s => s.Text));
        return scripts.SelectMany(script => checker.Check(script.Text).Select(c =>
        {
            var line = script.DockerfileLine(c.Line);
            return new LintFinding($"SC{c.Code}", ShellCheckRules.SeverityOf(c.Level), c.Message, line, line == script.Line ? script.Column : c.Column);
        })).Distinct().ToList();
    }

    private static List<LintFinding> Filter(List<LintFinding> findings, DockerfileSyntax syntax, LintConfig config, string? checkDirective)
    {
        var global = new HashSet<string>(StringComparer.Ordinal);
        var perLine = new List<(int From, int Through, HashSet<string> Ids)>();
        var startingAt = syntax.Instructions.GroupBy(i => i.Span.Start.Line).ToDictionary(g => g.Key, g => g.First());
        var perStage = new List<(int From, int Until, HashSet<string> Ids)>();
        var fromLines = syntax.Instructions.Where(i => i.Is("FROM")).Select(i => i.Span.Start.Line).ToList();
        foreach (var comment in syntax.Comments)
        {
            if (HadolintPragma.Parse(comment.Text) is not { } pragma)
            {
                continue;
            }
            var line = comment.Span.Start.Line;
            if (pragma.Scope == PragmaScope.Line)
            {
                // Every inline ignore is a DL1001 finding (off unless the config raises it), whether or not it is obeyed.
                findings.Add(new LintFinding("DL1001", Severity.Ignore, "Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.", line, comment.Span.Start.Column));
            }
            if (config.DisableIgnorePragma)
            {
                continue;
            }
            switch (pragma.Scope)
            {
                case PragmaScope.Global:
                    global.UnionWith(pragma.Ids);
                    break;
                case PragmaScope.Line:
                    // hadolint applies an inline ignore to the line right after the comment: the instruction starting
                    // there, all of it (a RUN's heredoc body has SC findings on its own lines).
                    var through = startingAt.TryGetValue(line + 1, out var next) ? next.Span.End.Line : line + 1;
                    perLine.Add((line + 1, through, [.. pragma.Ids]));
                    break;
                case PragmaScope.Stage when fromLines.IndexOf(line + 1) is var index and >= 0:
                    // A stage ignore applies to the stage whose FROM comes right after it, up to the next FROM.
                    perStage.Add((line + 1, index + 1 < fromLines.Count ? fromLines[index + 1] : int.MaxValue, [.. pragma.Ids]));
                    break;
            }
        }

        // BuildKit's "# check=skip=A,B;error=true;experimental=C" directive.
        var skipChecks = new HashSet<string>(StringComparer.Ordinal);
        // BuildKit runs experimental checks only when the directive asks for them (even past skip=all).
        var experimental = new HashSet<string>(StringComparer.Ordinal);
        var checksAreErrors = false;
        if (checkDirective is { } check)
        {
            foreach (var part in check.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var (key, value) = part.Split('=', 2) is [var k, var v] ? (k.Trim(), v.Trim()) : (part, "");
                var names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                switch (key)
                {
                    case "skip":
                        skipChecks.UnionWith(names);
                        break;
                    case "experimental":
                        experimental.UnionWith(names);
                        break;
                    case "error":
                        checksAreErrors = value.Equals("true", StringComparison.OrdinalIgnoreCase);
                        break;
                }
            }
        }

        bool Enabled(string id)
        {
            if (!BuildKitChecks.IsCheck(id))
            {
                return true;
            }
            var asked = experimental.Contains(id) || experimental.Contains("all");
            return BuildKitChecks.IsExperimental(id) ? asked : asked || !(skipChecks.Contains(id) || skipChecks.Contains("all"));
        }

        bool Ignored(LintFinding f) =>
            global.Contains(f.RuleId) || config.Ignored.Contains(f.RuleId)
            || perLine.Any(p => f.Line >= p.From && f.Line <= p.Through && p.Ids.Contains(f.RuleId))
            || perStage.Any(s => f.Line >= s.From && f.Line < s.Until && s.Ids.Contains(f.RuleId));

        return [.. findings
            .Where(f => Enabled(f.RuleId) && !Ignored(f))
            .Select(f => config.Overrides.TryGetValue(f.RuleId, out var severity) ? f with { Severity = severity }
                : checksAreErrors && BuildKitChecks.IsCheck(f.RuleId) ? f with { Severity = Severity.Error } : f)
            .Where(f => f.Severity != Severity.Ignore)
            .OrderBy(f => f.Line).ThenBy(f => f.Column).ThenBy(f => f.RuleId, StringComparer.Ordinal)];
    }

    /// <summary>Whether findings fail the lint at <paramref name="threshold"/> (hadolint's --failure-threshold).</summary>
    public static bool Fails(IEnumerable<LintFinding> findings, Severity threshold) =>
        threshold != Severity.Ignore && findings.Any(f => f.Severity <= threshold);
}
