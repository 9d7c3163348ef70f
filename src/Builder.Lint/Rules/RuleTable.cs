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

    /// <summary>A rule over the commands of each RUN (and each ONBUILD RUN): one finding per RUN.</summary>
    protected void AddPerCommand(string id, Severity severity, string title, string rationale, string bad, string good,
        Func<ShellCommand, InstructionSyntax, bool> violates) =>
        Add(id, severity, title, rationale, bad, good,
            (context, rule) => Runs(context).Where(run => Commands(context, run).Any(c => violates(c, run))).Select(run => Finding.At(rule, run)));

    /// <summary>The RUNs, then the RUN triggers of ONBUILD (which hadolint checks on their own).</summary>
    internal static IEnumerable<InstructionSyntax> Runs(LintContext context) =>
        context.Syntax.Instructions.Where(i => i.Is("RUN")).Concat(OnbuildRuns(context));

    /// <summary>The RUN triggers of ONBUILD instructions.</summary>
    internal static IEnumerable<InstructionSyntax> OnbuildRuns(LintContext context) =>
        context.Syntax.Instructions.Where(i => i.Is("ONBUILD") && i.Trigger is { } t && t.Is("RUN")).Select(i => i.Trigger!);

    /// <summary>
    /// The shell text a RUN runs: its arguments and its heredoc bodies; for the exec form, the script of
    /// <c>["sh", "-c", "…"]</c>, or else the words joined as hadolint reads them.
    /// </summary>
    internal static string Script(InstructionSyntax run)
    {
        if (run.IsJsonForm)
        {
            var words = run.Arguments.Select(a => a.Value).ToList();
            return words is [var shell, "-c", var script, ..] && Path.GetFileName(shell) is "sh" or "bash" or "ash" or "dash" or "zsh"
                ? script : string.Join(' ', words);
        }
        return string.Join('\n', run.Heredocs.Select(h => h.Body).Prepend(run.ArgumentText));
    }

    internal static IReadOnlyList<ShellCommand> Commands(InstructionSyntax run) => ShellCommands.Parse(Script(run));

    /// <summary>The commands of a RUN, parsed once per lint.</summary>
    internal static IReadOnlyList<ShellCommand> Commands(LintContext context, InstructionSyntax run) => context.Derived.Commands(run, Commands);

    internal static IEnumerable<IReadOnlyList<InstructionSyntax>> Stages(LintContext context) => context.Derived.Stages.Select(s => s.Instructions);

    /// <summary>The stages, with names, bases and which earlier stage each builds on.</summary>
    internal static IReadOnlyList<LintStage> StageList(LintContext context) => context.Derived.Stages;

    /// <summary>The stage of an instruction; null for an ONBUILD trigger.</summary>
    internal static LintStage? StageOf(LintContext context, InstructionSyntax instruction) => context.Derived.StageOf(instruction);

    /// <summary>The stage and every stage it is built FROM, nearest first.</summary>
    internal static IEnumerable<LintStage> Lineage(LintContext context, LintStage stage)
    {
        var stages = context.Derived.Stages;
        for (LintStage? current = stage; current is not null; current = current.Parent is { } parent ? stages[parent] : null)
        {
            yield return current;
        }
    }

    /// <summary>Whether a RUN of <paramref name="stage"/> ends up in an image someone uses: the last stage's, or one a later FROM builds on.</summary>
    internal static bool ShipsLayers(LintContext context, LintStage stage) =>
        stage.IsLast || (stage.Name is { } name && context.Derived.Stages.Skip(stage.Index + 1).Any(s => s.BaseImage.Equals(name, StringComparison.OrdinalIgnoreCase)));

    /// <summary>Whether the RUN has a cache or tmpfs mount whose target contains <paramref name="fragment"/>.</summary>
    internal static bool CacheOrTmpfsMount(InstructionSyntax run, string fragment) => Mounts(run)
        .Any(m => m.Type is "cache" or "tmpfs" && m.Target is { } target && target.Contains(fragment, StringComparison.Ordinal));

    /// <summary>Whether the RUN has a cache or tmpfs mount whose target starts with <paramref name="directory"/>.</summary>
    internal static bool CacheOrTmpfsMountUnder(InstructionSyntax run, string directory) => Mounts(run)
        .Any(m => m.Type is "cache" or "tmpfs" && m.Target is { } target && target.StartsWith(directory, StringComparison.Ordinal));

    private static IEnumerable<(string Type, string? Target)> Mounts(InstructionSyntax run) =>
        run.Flags.Where(f => f.Name == "mount" && f.Value is not null).Select(f =>
        {
            var fields = f.Value!.Split(',').Select(field => field.Split('=', 2)).ToList();
            var type = fields.FirstOrDefault(kv => kv[0] == "type") is [_, var t] ? t : "bind";
            var target = fields.FirstOrDefault(kv => kv[0] is "target" or "dst" or "destination") is [_, var d] ? d : null;
            return (type, target);
        });

    /// <summary>Text without the single or double quotes around it, as hadolint compares paths.</summary>
    internal static string DropQuotes(string text) => text.Trim('"', '\'');

    internal static string? Flag(InstructionSyntax instruction, string name) =>
        instruction.Flags.FirstOrDefault(f => f.Name == name)?.Value;

    /// <summary>A check name as its docs page spells it: <c>JSONArgsRecommended</c> is <c>json-args-recommended</c>.</summary>
    private static string Kebab(string id) =>
        string.Concat(id.Select((c, i) =>
            i > 0 && char.IsUpper(c) && (char.IsLower(id[i - 1]) || (i + 1 < id.Length && char.IsLower(id[i + 1])))
                ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
