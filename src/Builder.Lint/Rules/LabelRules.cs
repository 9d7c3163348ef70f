using System.Text.RegularExpressions;
using Builder.Dockerfile.Syntax;

namespace Builder.Lint.Rules;

/// <summary>
/// hadolint's label rules: a valid key always; with a configured label-schema, each label present and well-typed;
/// and the HEALTHCHECK rule (DL3057, off unless the config raises it).
/// </summary>
public sealed partial class LabelRules : RuleTable
{
    public LabelRules()
    {
        Add("DL3048", Severity.Style, "Invalid label key.",
            "Label keys are reverse-DNS names: lower-case letters, digits, dots and dashes, starting with a letter, not ending with a separator, no two separators in a row, none of Docker's own namespaces.",
            "LABEL -bad=1", "LABEL org.example.good=1",
            (context, rule) => Labels(context).Where(l => !ValidKey(l.Key)).DistinctBy(l => l.Instruction).Select(l => Finding.At(rule, l.Instruction)));
        Add("DL3049", Severity.Info, "Label `<label>` is missing.",
            "The label schema the project configured requires it.", "FROM a", "FROM a\nLABEL maintainer=\"me\"",
            (context, rule) => context.Config.LabelSchema.Keys.SelectMany(label => MissingLabel(context, label)
                .Select(from => Finding.At(rule, from, $"Label `{label}` is missing."))));
        Add("DL3050", Severity.Info, "Superfluous label(s) present.",
            "With strict-labels, only the labels of the schema are allowed.", "LABEL other=1", "LABEL version=1.0.0",
            (context, rule) => !context.Config.StrictLabels ? [] : context.Syntax.Instructions.Where(i => i.Is("LABEL"))
                .Where(i => Pairs(i).Any(p => !context.Config.LabelSchema.ContainsKey(p.Key))).Select(i => Finding.At(rule, i)));
        // Every label of the schema, whatever its type, must not be empty.
        Add("DL3051", Severity.Warning, "Label `<label>` is empty.", "The label schema declares these labels.", "LABEL key=\"\"", "LABEL key=\"some text\"",
            (context, rule) => context.Config.LabelSchema.Count == 0 ? [] : Labels(context).Where(l => context.Config.LabelSchema.ContainsKey(l.Key) && l.Value.Length == 0)
                .Select(l => Finding.At(rule, l.Instruction, $"label `{l.Key}` is empty.")));
        AddTyped("DL3052", "url", "is not a valid URL.", "https://example.com/app", v => Uri.TryCreate(v, UriKind.Absolute, out _) && UriScheme().IsMatch(v));
        AddTyped("DL3053", "rfc3339", "is not a valid time format - must be conform to RFC3339.", "2024-01-31T12:00:00Z", v => Rfc3339().IsMatch(v));
        AddTyped("DL3054", "spdx", "is not a valid SPDX identifier.", "MIT", SpdxLicenses.Identifiers.Contains);
        AddTyped("DL3055", "hash", "is not a valid git hash.", "3f9a1c2", v => GitHash().IsMatch(v));
        AddTyped("DL3056", "semver", "does not conform to semantic versioning.", "1.2.3", v => SemVer().IsMatch(v));
        Add("DL3057", Severity.Ignore, "`HEALTHCHECK` instruction missing.",
            "An orchestrator can only see a service's health through a HEALTHCHECK (off unless the config raises it).",
            "FROM a\nCMD [\"serve\"]", "FROM a\nHEALTHCHECK CMD [\"check\"]\nCMD [\"serve\"]",
            // hadolint's bookkeeping, exactly: a stage is named by its alias, or by its image's name; it starts healthy
            // when a healthy stage has the name its FROM names; a HEALTHCHECK (NONE too) makes its stage healthy and, up
            // the chain, every unhealthy stage whose name a healthy one's FROM names. What is unhealthy at the end is reported.
            (context, rule) =>
            {
                var stages = new List<(string Source, string Name, InstructionSyntax From, bool Healthy)>();
                foreach (var i in context.Syntax.Instructions)
                {
                    if (i.Is("FROM") && i.Arguments.Count > 0)
                    {
                        var source = ImageName(i.Arguments[0].Value);
                        var name = i.Arguments.Count >= 3 && i.Arguments[1].Value.Equals("AS", StringComparison.OrdinalIgnoreCase) ? i.Arguments[2].Value : source;
                        stages.Add((source, name, i, stages.Any(s => s.Healthy && s.Name == source)));
                    }
                    else if (i.Is("HEALTHCHECK") && stages.Count > 0)
                    {
                        var current = stages.Count - 1;
                        stages[current] = stages[current] with { Healthy = true };
                        // Up the chain: the stages this one is built on, by name, and theirs.
                        var pending = new Queue<string>([stages[current].Source]);
                        while (pending.TryDequeue(out var parent))
                        {
                            for (var s = 0; s < stages.Count; s++)
                            {
                                if (!stages[s].Healthy && stages[s].Name == parent)
                                {
                                    stages[s] = stages[s] with { Healthy = true };
                                    pending.Enqueue(stages[s].Source);
                                }
                            }
                        }
                    }
                }
                return stages.Where(s => !s.Healthy).Select(s => Finding.At(rule, s.From));
            });
        AddTyped("DL3058", "email", "is not a valid email format - must be conform to RFC5322.", "dev@example.com", v => Email().IsMatch(v));
    }

    /// <summary>An image reference's name as hadolint's parser gives it: no registry host, no tag, no digest.</summary>
    private static string ImageName(string image)
    {
        var name = image.Split('@')[0];
        var colon = name.IndexOf(':', name.LastIndexOf('/') + 1);
        name = colon < 0 ? name : name[..colon];
        var first = name.Split('/')[0];
        return name.Contains('/') && (first.Contains('.') || first.Contains(':') || first == "localhost") ? name[(first.Length + 1)..] : name;
    }

    private void AddTyped(string id, string type, string problem, string validExample, Func<string, bool> valid) =>
        Add(id, Severity.Warning, $"Label `<label>` {problem}", $"The label schema declares these labels as {type}.", $"LABEL key=\"not-{type}\"", $"LABEL key=\"{validExample}\"",
            (context, rule) => !context.Config.LabelSchema.Values.Contains(type) ? [] : Labels(context)
                .Where(l => context.Config.LabelSchema.TryGetValue(l.Key, out var t) && t == type && !valid(l.Value))
                .Select(l => Finding.At(rule, l.Instruction, $"Label `{l.Key}` {problem}")));

    /// <summary>
    /// The stages that lack <paramref name="label"/>: neither they nor a stage they are built FROM set it. A stage only
    /// used as a COPY --from source, or that a later stage labelled builds on, is left out: its labels never ship.
    /// </summary>
    /// <summary>
    /// The FROMs of the stages that lack <paramref name="label"/>, by hadolint's bookkeeping in file order: a stage starts
    /// labelled when a labelled stage's alias is the image its FROM names; <c>COPY --from=ALIAS</c> excuses the unlabelled
    /// stages of that alias so far (they are sources, not images); a LABEL with the key labels its stage (and excuses
    /// the earlier unlabelled stages of its name).
    /// </summary>
    private static IEnumerable<InstructionSyntax> MissingLabel(LintContext context, string label)
    {
        var stages = new List<(string? Alias, string Name, InstructionSyntax From, LabelState State)>();
        void Excuse(string name)
        {
            for (var s = 0; s < stages.Count; s++)
            {
                if (stages[s].State == LabelState.Missing && stages[s].Alias == name)
                {
                    stages[s] = stages[s] with { State = LabelState.Excused };
                }
            }
        }
        foreach (var i in context.Syntax.Instructions)
        {
            if (i.Is("FROM") && i.Arguments.Count > 0)
            {
                var image = ImageName(i.Arguments[0].Value);
                var alias = i.Arguments.Count >= 3 && i.Arguments[1].Value.Equals("AS", StringComparison.OrdinalIgnoreCase) ? i.Arguments[2].Value : null;
                var labelled = stages.Any(s => s.State == LabelState.Labelled && s.Alias == image);
                stages.Add((alias, alias ?? image, i, labelled ? LabelState.Labelled : LabelState.Missing));
            }
            else if (i.Is("COPY") && Flag(i, "from") is { Length: > 0 } from)
            {
                Excuse(from);
            }
            else if (i.Is("LABEL") && stages.Count > 0 && Pairs(i).Any(p => p.Key == label))
            {
                Excuse(stages[^1].Name);
                stages[^1] = stages[^1] with { State = LabelState.Labelled };
            }
        }
        return stages.Where(s => s.State == LabelState.Missing).Select(s => s.From);
    }

    private enum LabelState
    {
        Missing,
        Excused,
        Labelled,
    }

    private static bool ValidKey(string key) =>
        key.Length > 0 && key[0] is >= 'a' and <= 'z' && key[^1] is >= 'a' and <= 'z' or >= '0' and <= '9'
        && key.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '.' or '-')
        && !key.Contains("..", StringComparison.Ordinal) && !key.Contains("--", StringComparison.Ordinal)
        && !key.StartsWith("com.docker.", StringComparison.Ordinal) && !key.StartsWith("io.docker.", StringComparison.Ordinal)
        && !key.StartsWith("org.dockerproject.", StringComparison.Ordinal);

    private static IEnumerable<(string Key, string Value, InstructionSyntax Instruction)> Labels(LintContext context) =>
        context.Syntax.Instructions.Select(i => i.Is("ONBUILD") && i.Trigger is { } t && t.Is("LABEL") ? t : i)
            .Where(i => i.Is("LABEL")).SelectMany(i => Pairs(i).Select(p => (p.Key, p.Value, i)));

    private static IEnumerable<KeyValuePair<string, string>> Pairs(InstructionSyntax label) =>
        PackageManagerRules.Pairs(label).Select(p => new KeyValuePair<string, string>(DropQuotes(p.Name), DropQuotes(p.Value)));

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.-]*:")]
    private static partial Regex UriScheme();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();

    [GeneratedRegex(@"^([0-9a-f]{7}|[0-9a-f]{40})$")]
    private static partial Regex GitHash();

    [GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$")]
    private static partial Regex SemVer();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex Email();
}
