using Builder.Dockerfile.Syntax;

namespace Builder.Lint.Rules;

/// <summary>A family of rules written as data: each rule with the function that finds it.</summary>
public abstract class RuleTable : ILintCheck
{
    private readonly List<(LintRule Rule, Func<LintContext, LintRule, IEnumerable<LintFinding>> Analyze)> _rules = [];

    public IReadOnlyList<LintRule> Rules => [.. _rules.Select(r => r.Rule)];

    public IEnumerable<LintFinding> Analyze(LintContext context) => _rules.SelectMany(r => r.Analyze(context, r.Rule));

    protected void Add(string id, Severity severity, string title, string rationale, string bad, string good,
        Func<LintContext, LintRule, IEnumerable<LintFinding>> analyze)
    {
        var docs = id.StartsWith("DL", StringComparison.Ordinal)
            ? $"https://github.com/hadolint/hadolint/wiki/{id}"
            : $"https://docs.docker.com/go/dockerfile/rule/{Kebab(id)}/";
        _rules.Add((new LintRule(id, title, severity, docs, rationale, bad, good), analyze));
    }

    /// <summary>A rule that looks at one instruction at a time.</summary>
    protected void AddPerInstruction(string id, Severity severity, string title, string rationale, string bad, string good,
        Func<InstructionSyntax, LintContext, bool> violates) =>
        Add(id, severity, title, rationale, bad, good,
            (context, rule) => context.Syntax.Instructions.Where(i => violates(i, context)).Select(i => Finding.At(rule, i)));

    /// <summary>A rule over the commands of each RUN.</summary>
    protected void AddPerCommand(string id, Severity severity, string title, string rationale, string bad, string good,
        Func<ShellCommand, InstructionSyntax, bool> violates) =>
        Add(id, severity, title, rationale, bad, good,
            (context, rule) => Runs(context).Where(run => Commands(run).Any(c => violates(c, run))).Select(run => Finding.At(rule, run)));

    internal static IEnumerable<InstructionSyntax> Runs(LintContext context) =>
        context.Syntax.Instructions.Where(i => i.Is("RUN") && !i.IsJsonForm)
            .Concat(context.Syntax.Instructions.Where(i => i.Is("ONBUILD") && i.Trigger is { } t && t.Is("RUN") && !t.IsJsonForm).Select(i => i.Trigger!));

    /// <summary>The shell text a RUN runs: its arguments, and its heredoc bodies.</summary>
    internal static string Script(InstructionSyntax run) =>
        string.Join('\n', run.Heredocs.Select(h => h.Body).Prepend(run.ArgumentText));

    internal static IReadOnlyList<ShellCommand> Commands(InstructionSyntax run) => ShellCommands.Parse(Script(run));

    internal static IEnumerable<IReadOnlyList<InstructionSyntax>> Stages(LintContext context)
    {
        var stage = new List<InstructionSyntax>();
        foreach (var instruction in context.Syntax.Instructions)
        {
            if (instruction.Is("FROM") && stage.Count > 0)
            {
                yield return stage;
                stage = [];
            }
            stage.Add(instruction);
        }
        if (stage.Count > 0)
        {
            yield return stage;
        }
    }

    internal static string? Flag(InstructionSyntax instruction, string name) =>
        instruction.Flags.FirstOrDefault(f => f.Name == name)?.Value;

    private static string Kebab(string id) =>
        string.Concat(id.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
