using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Builder.Lint.Formatters;

/// <summary>Findings of one or more Dockerfiles in hadolint's output formats.</summary>
public static class LintFormatter
{
    public static readonly IReadOnlyList<string> Formats = ["tty", "json", "sarif", "checkstyle", "gnu"];

    public static string Format(string format, IReadOnlyList<(string File, IReadOnlyList<LintFinding> Findings)> results, bool color = false) => format switch
    {
        "tty" => Tty(results, color),
        "json" => Json(results),
        "sarif" => Sarif(results),
        "checkstyle" => Checkstyle(results),
        "gnu" => Gnu(results),
        _ => throw new FormatException($"unknown format '{format}' ({string.Join(", ", Formats)})"),
    };

    public static string Level(Severity severity) => severity.ToString().ToLowerInvariant();

    private static string Tty(IReadOnlyList<(string File, IReadOnlyList<LintFinding> Findings)> results, bool color)
    {
        var text = new StringBuilder();
        foreach (var (file, findings) in results)
        {
            foreach (var f in findings)
            {
                var level = Level(f.Severity);
                if (color)
                {
                    var code = f.Severity switch { Severity.Error => "31", Severity.Warning => "33", Severity.Info => "32", _ => "36" };
                    level = $"\u001b[{code}m{level}\u001b[0m";
                }
                text.Append(file).Append(':').Append(f.Line).Append(' ').Append(f.RuleId).Append(' ').Append(level).Append(": ").AppendLine(f.Message);
            }
        }
        return text.ToString();
    }

    /// <summary>hadolint's gnu format: <c>hadolint:FILE:LINE: CODE LEVEL: MESSAGE</c>, one finding a line.</summary>
    private static string Gnu(IReadOnlyList<(string File, IReadOnlyList<LintFinding> Findings)> results)
    {
        var text = new StringBuilder();
        foreach (var (file, findings) in results)
        {
            foreach (var f in findings)
            {
                text.Append($"hadolint:{file}:{f.Line}: {f.RuleId} {Level(f.Severity)}: {f.Message}\n");
            }
        }
        return text.ToString();
    }

    /// <summary>hadolint's json format: one array of findings, each object's keys in the order hadolint prints them.</summary>
    private static string Json(IReadOnlyList<(string File, IReadOnlyList<LintFinding> Findings)> results) =>
        Write(json =>
        {
            json.WriteStartArray();
            foreach (var (file, findings) in results)
            {
                foreach (var f in findings)
                {
                    json.WriteStartObject();
                    json.WriteString("code", f.RuleId);
                    json.WriteNumber("column", f.Column);
                    json.WriteString("file", file);
                    json.WriteString("level", Level(f.Severity));
                    json.WriteNumber("line", f.Line);
                    json.WriteString("message", f.Message);
                    json.WriteEndObject();
                }
            }
            json.WriteEndArray();
        }, indented: false);

    private static string Sarif(IReadOnlyList<(string File, IReadOnlyList<LintFinding> Findings)> results) =>
        Write(json =>
        {
            json.WriteStartObject();
            json.WriteString("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
            json.WriteString("version", "2.1.0");
            json.WriteStartArray("runs");
            json.WriteStartObject();
            json.WriteStartObject("tool");
            json.WriteStartObject("driver");
            json.WriteString("name", "builder lint");
            json.WriteString("informationUri", "https://github.com/hadolint/hadolint");
            json.WriteStartArray("rules");
            var used = results.SelectMany(r => r.Findings).Select(f => f.RuleId).Distinct().ToList();
            foreach (var rule in used.Select(DockerfileLinter.Rule).OfType<LintRule>().OrderBy(r => r.Id, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("id", rule.Id);
                json.WriteStartObject("shortDescription");
                json.WriteString("text", rule.Title);
                json.WriteEndObject();
                json.WriteString("helpUri", rule.DocsUri);
                json.WriteStartObject("defaultConfiguration");
                json.WriteString("level", SarifLevel(rule.DefaultSeverity));
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartArray("results");
            foreach (var (file, findings) in results)
            {
                foreach (var f in findings)
                {
                    json.WriteStartObject();
                    json.WriteString("ruleId", f.RuleId);
                    json.WriteString("level", SarifLevel(f.Severity));
                    json.WriteStartObject("message");
                    json.WriteString("text", f.Message);
                    json.WriteEndObject();
                    json.WriteStartArray("locations");
                    json.WriteStartObject();
                    json.WriteStartObject("physicalLocation");
                    json.WriteStartObject("artifactLocation");
                    json.WriteString("uri", file);
                    json.WriteEndObject();
                    json.WriteStartObject("region");
                    json.WriteNumber("startLine", f.Line);
                    json.WriteNumber("startColumn", Math.Max(f.Column, 1));
                    json.WriteEndObject();
                    json.WriteEndObject();
                    json.WriteEndObject();
                    json.WriteEndArray();
                    json.WriteEndObject();
                }
            }
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }, indented: true);

    private static string SarifLevel(Severity severity) => severity switch
    {
        Severity.Error => "error",
        Severity.Warning => "warning",
        _ => "note",
    };

    /// <summary>
    /// hadolint's checkstyle format: one XML line, single-quoted attributes, every character but letters, digits,
    /// space, '.' and '/' written as a character reference; a file element only for files with findings.
    /// </summary>
    private static string Checkstyle(IReadOnlyList<(string File, IReadOnlyList<LintFinding> Findings)> results)
    {
        var xml = new StringBuilder("<?xml version='1.0' encoding='UTF-8'?><checkstyle version='4.3'>");
        foreach (var (file, findings) in results.Where(r => r.Findings.Count > 0))
        {
            xml.Append("<file ").Append(Attribute("name", file)).Append('>');
            foreach (var f in findings)
            {
                xml.Append("<error ")
                    .Append(Attribute("line", f.Line.ToString(CultureInfo.InvariantCulture)))
                    .Append(Attribute("column", f.Column.ToString(CultureInfo.InvariantCulture)))
                    .Append(Attribute("severity", Level(f.Severity)))
                    .Append(Attribute("message", f.Message))
                    .Append(Attribute("source", f.RuleId))
                    .Append("/>");
            }
            xml.Append("</file>");
        }
        return xml.Append("</checkstyle>").ToString();
    }

    private static string Attribute(string name, string value)
    {
        var text = new StringBuilder(name).Append("='");
        foreach (var rune in value.EnumerateRunes())
        {
            if (rune.IsAscii && (char.IsAsciiLetterOrDigit((char)rune.Value) || rune.Value is ' ' or '.' or '/'))
            {
                text.Append((char)rune.Value);
            }
            else
            {
                text.Append("&#").Append(rune.Value.ToString(CultureInfo.InvariantCulture)).Append(';');
            }
        }
        return text.Append("' ").ToString();
    }

    private static string Write(Action<Utf8JsonWriter> write, bool indented)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(json);
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
