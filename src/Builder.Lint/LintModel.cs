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

    /// <summary>What several rules derive from the syntax (stages, the commands of each RUN), worked out once per lint.</summary>
    internal LintDerived Derived { get; } = new(Syntax);
}

/// <summary>One build stage: its FROM (none for instructions before the first FROM), name, base and instructions.</summary>
/// <param name="Name">The stage name lower-cased, as BuildKit resolves it.</param>
/// <param name="Alias">The stage name as written.</param>
/// <param name="BaseImage">The image (or stage) the FROM names, as written.</param>
/// <param name="Parent">The index of the earlier stage this one is built FROM, if any.</param>
internal sealed record LintStage(int Index, InstructionSyntax? From, string? Name, string? Alias, string BaseImage, int? Parent, IReadOnlyList<InstructionSyntax> Instructions)
{
    public bool IsLast { get; init; }

    public int Line => From?.Span.Start.Line ?? Instructions.FirstOrDefault()?.Span.Start.Line ?? 1;
}

/// <summary>Facts computed lazily from one syntax tree; per lint, never shared.</summary>
internal sealed class LintDerived(DockerfileSyntax syntax)
{
    private IReadOnlyList<LintStage>? _stages;
    private readonly Dictionary<InstructionSyntax, IReadOnlyList<ShellCommand>> _commands = new(ReferenceEqualityComparer.Instance);

    private Dictionary<InstructionSyntax, LintStage>? _stageOf;

    public IReadOnlyList<LintStage> Stages => _stages ??= BuildStages(syntax);

    /// <summary>The stage an instruction belongs to (null for an ONBUILD trigger, which belongs to no stage here).</summary>
    public LintStage? StageOf(InstructionSyntax instruction)
    {
        if (_stageOf is null)
        {
            _stageOf = new Dictionary<InstructionSyntax, LintStage>(ReferenceEqualityComparer.Instance);
            foreach (var stage in Stages)
            {
                foreach (var i in stage.Instructions)
                {
                    _stageOf[i] = stage;
                }
            }
        }
        return _stageOf.GetValueOrDefault(instruction);
    }

    public IReadOnlyList<ShellCommand> Commands(InstructionSyntax run, Func<InstructionSyntax, IReadOnlyList<ShellCommand>> parse)
    {
        if (!_commands.TryGetValue(run, out var commands))
        {
            _commands[run] = commands = parse(run);
        }
        return commands;
    }

    private static List<LintStage> BuildStages(DockerfileSyntax syntax)
    {
        var stages = new List<LintStage>();
        var current = new List<InstructionSyntax>();
        InstructionSyntax? from = null;

        void Close()
        {
            if (from is null && current.Count == 0)
            {
                return;
            }
            var alias = from is not null && from.Arguments.Count >= 3 && from.Arguments[1].Value.Equals("as", StringComparison.OrdinalIgnoreCase)
                ? from.Arguments[2].Value : null;
            var image = from?.Arguments.FirstOrDefault()?.Value ?? "";
            var parent = stages.FindLastIndex(s => s.Name is not null && s.Name == image.ToLowerInvariant());
            stages.Add(new LintStage(stages.Count, from, alias?.ToLowerInvariant(), alias, image, parent < 0 ? null : parent, current));
        }

        foreach (var instruction in syntax.Instructions)
        {
            if (instruction.Is("FROM"))
            {
                Close();
                from = instruction;
                current = [instruction];
                continue;
            }
            current.Add(instruction);
        }
        Close();
        if (stages.Count > 0)
        {
            stages[^1] = stages[^1] with { IsLast = true };
        }
        return stages;
    }
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
