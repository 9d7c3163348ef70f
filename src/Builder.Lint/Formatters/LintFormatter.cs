using System.Security;
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

    private static string Gnu(IReadOnlyList<(string File, IReadOnlyList<LintFinding> Findings)> results)
    {
        var text = new StringBuilder();
        foreach (var (file, findings) in results)
        {
            foreach (var f in findings)
            {
                text.Append($"{file}:{f.Line}:{f.Column}: {Level(f.Severity)}: {f.Message} [{f.RuleId}]\n");
            }
        }
        return text.ToString();
    }

    private static string Json(IReadOnlyList<(string File, IReadOnlyList<LintFinding> Findings)> results) =>
        Write(json =>
        {
            json.WriteStartArray();
            foreach (var (file, findings) in results)
            {
                foreach (var f in findings)
                {
                    json.WriteStartObject();
                    json.WriteString("file", file);
                    json.WriteNumber("line", f.Line);
                    json.WriteNumber("column", f.Column);
                    json.WriteString("code", f.RuleId);
                    json.WriteString("level", Level(f.Severity));
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
            foreach (var rule in DockerfileLinter.Rules.Where(r => used.Contains(r.Id)))
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

    private static string Checkstyle(IReadOnlyList<(string File, IReadOnlyList<LintFinding> Findings)> results)
    {
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n");
        foreach (var (file, findings) in results)
        {
            xml.Append($"  <file name=\"{SecurityElement.Escape(file)}\">\n");
            foreach (var f in findings)
            {
                var severity = f.Severity switch { Severity.Error => "error", Severity.Warning => "warning", _ => "info" };
                xml.Append($"    <error line=\"{f.Line}\" column=\"{f.Column}\" severity=\"{severity}\" message=\"{SecurityElement.Escape(f.Message)}\" source=\"{f.RuleId}\"/>\n");
            }
            xml.Append("  </file>\n");
        }
        return xml.Append("</checkstyle>\n").ToString();
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
