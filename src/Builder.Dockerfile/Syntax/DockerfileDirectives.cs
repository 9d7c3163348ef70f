using System.Text.Json;

namespace Builder.Dockerfile.Syntax;

/// <summary>A directive found by <see cref="DockerfileDirectives"/>: its value, the value's first word, and its line.</summary>
public sealed record DirectiveMatch(string Name, string Reference, string Value, int Line);

/// <summary>
/// Finds one parser directive without parsing the Dockerfile, as BuildKit does before choosing a front end:
/// a leading <c>#!</c> line is skipped, and for <c>syntax</c> the <c>//</c> comment form and a JSON object
/// are accepted too.
/// </summary>
public static class DockerfileDirectives
{
    private static readonly string[] Known = ["syntax", "escape", "check"];

    public static DirectiveMatch? DetectSyntax(string text) => Find("syntax", text, anyFormat: true);

    public static DirectiveMatch? Find(string name, string text) => Find(name, text, anyFormat: false);

    private static DirectiveMatch? Find(string name, string text, bool anyFormat)
    {
        if (text.StartsWith('\uFEFF'))
        {
            text = text[1..];
        }
        var firstLine = 0;
        var newline = text.IndexOf('\n');
        if (text.StartsWith("#!", StringComparison.Ordinal))
        {
            text = newline < 0 ? string.Empty : text[(newline + 1)..];
            firstLine = 1;
        }
        var found = FindWithPrefix(name, text, "#", firstLine);
        if (found is not null || !anyFormat)
        {
            return found;
        }
        return FindWithPrefix(name, text, "//", firstLine) ?? FindInJson(name, text, firstLine);
    }

    private static DirectiveMatch? FindWithPrefix(string name, string text, string prefix, int firstLine)
    {
        var seen = new HashSet<string>();
        var lineNumber = firstLine;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r');
            if (!line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return null;
            }
            var directive = Grammar.Directive(GoText.TrimLeftSpace(line[prefix.Length..]));
            var key = directive?.Name.ToLowerInvariant();
            if (directive is null || !Known.Contains(key) || !seen.Add(key!))
            {
                return null; // the run of directives ends here (a repeated one is an error BuildKit ignores here)
            }
            if (key == name)
            {
                var value = directive.Value.Value;
                var reference = value.Split(' ', 2)[0];
                return new DirectiveMatch(key, reference, value, lineNumber);
            }
        }
        return null;
    }

    private static DirectiveMatch? FindInJson(string name, string text, int line)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty(name, out var value)
                && value.ValueKind == JsonValueKind.String)
            {
                var s = value.GetString()!;
                return new DirectiveMatch(name, s, s, line);
            }
        }
        catch (JsonException)
        {
            // not a JSON front-end file
        }
        return null;
    }
}
