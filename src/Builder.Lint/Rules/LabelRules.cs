using System.Text.RegularExpressions;
using Builder.Dockerfile.Syntax;

namespace Builder.Lint.Rules;

/// <summary>hadolint's label rules: a valid key always; with a configured label-schema, each label present and well-typed.</summary>
public sealed partial class LabelRules : RuleTable
{
    public LabelRules()
    {
        Add("DL3048", Severity.Style, "Invalid label key.",
            "Label keys are reverse-DNS names: lower-case letters, digits, dots and dashes, not starting or ending with them.",
            "LABEL -bad=1", "LABEL org.example.good=1",
            (context, rule) => Labels(context).Where(l => !ValidKey().IsMatch(l.Key) || l.Key.Contains("..", StringComparison.Ordinal)
                || l.Key.StartsWith("com.docker.", StringComparison.Ordinal) || l.Key.StartsWith("io.docker.", StringComparison.Ordinal) || l.Key.StartsWith("org.dockerproject.", StringComparison.Ordinal))
                .Select(l => Finding.At(rule, l.Instruction)));
        Add("DL3049", Severity.Info, "Label is missing.",
            "The label schema the project configured requires it.", "FROM a", "FROM a\nLABEL maintainer=\"me\"",
            (context, rule) => context.Config.LabelSchema.Count == 0 ? [] : Stages(context).TakeLast(1).SelectMany(stage =>
                context.Config.LabelSchema.Keys.Where(key => !stage.Where(i => i.Is("LABEL")).SelectMany(Pairs).Any(p => p.Key == key))
                    .Select(key => Finding.At(rule, stage[0], $"Label `{key}` is missing."))));
        Add("DL3050", Severity.Info, "Superfluous label(s) present.",
            "With strict-labels, only the labels of the schema are allowed.", "LABEL other=1", "LABEL version=1.0.0",
            (context, rule) => !context.Config.StrictLabels || context.Config.LabelSchema.Count == 0 ? []
                : Labels(context).Where(l => !context.Config.LabelSchema.ContainsKey(l.Key)).Select(l => Finding.At(rule, l.Instruction, $"Superfluous label `{l.Key}` present.")));
        AddTyped("DL3051", "text", "Label is empty.", "some text", v => v.Length > 0);
        AddTyped("DL3052", "url", "Label is not a valid URL.", "https://example.com/app", v => Uri.TryCreate(v, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https");
        AddTyped("DL3053", "rfc3339", "Label is not a valid time format - must conform to RFC3339.", "2024-01-31T12:00:00Z", v => Rfc3339().IsMatch(v));
        AddTyped("DL3054", "spdx", "Label is not a valid SPDX identifier.", "MIT", v => Spdx().IsMatch(v));
        AddTyped("DL3055", "hash", "Label is not a valid git hash.", "3f9a1c2", v => GitHash().IsMatch(v));
        AddTyped("DL3056", "semver", "Label does not conform to semantic versioning.", "1.2.3", v => SemVer().IsMatch(v));
        AddTyped("DL3057", "email", "Label is not a valid email address.", "dev@example.com", v => Email().IsMatch(v));
        Add("DL3058", Severity.Warning, "`HEALTHCHECK` instruction missing.",
            "hadolint asks for a HEALTHCHECK when a label schema is configured, so an orchestrator can see the service's health.",
            "FROM a\nCMD [\"serve\"]", "FROM a\nHEALTHCHECK CMD [\"check\"]\nCMD [\"serve\"]",
            (context, rule) => context.Config.LabelSchema.Count == 0 ? [] : Stages(context).TakeLast(1)
                .Where(stage => !stage.Any(i => i.Is("HEALTHCHECK"))).Select(stage => Finding.At(rule, stage[0])));
    }

    private void AddTyped(string id, string type, string title, string validExample, Func<string, bool> valid) =>
        Add(id, Severity.Warning, title, $"The label schema declares these labels as {type}.", "LABEL key=\"\"", $"LABEL key=\"{validExample}\"",
            (context, rule) => Labels(context).Where(l => context.Config.LabelSchema.TryGetValue(l.Key, out var t) && t == type && !valid(l.Value))
                .Select(l => Finding.At(rule, l.Instruction, $"{title.TrimEnd('.')}: `{l.Key}`.")));

    private static IEnumerable<(string Key, string Value, InstructionSyntax Instruction)> Labels(LintContext context) =>
        context.Syntax.Instructions.Where(i => i.Is("LABEL")).SelectMany(i => Pairs(i).Select(p => (p.Key, p.Value, i)));

    private static IEnumerable<KeyValuePair<string, string>> Pairs(InstructionSyntax label)
    {
        // BuildKit's parser gives key, value and separator for each pair.
        for (var i = 0; i + 1 < label.Arguments.Count; i += 3)
        {
            yield return new(label.Arguments[i].Value.Trim('"'), label.Arguments[i + 1].Value.Trim('"'));
        }
    }

    [GeneratedRegex(@"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$")]
    private static partial Regex ValidKey();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();

    [GeneratedRegex(@"^[A-Za-z0-9.+-]+( (AND|OR|WITH) [A-Za-z0-9.+-]+)*$")]
    private static partial Regex Spdx();

    [GeneratedRegex(@"^[0-9a-f]{7,40}$")]
    private static partial Regex GitHash();

    [GeneratedRegex(@"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")]
    private static partial Regex SemVer();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex Email();
}
