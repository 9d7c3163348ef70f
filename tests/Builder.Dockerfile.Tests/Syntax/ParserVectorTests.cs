using System.Text.Json;
using Builder.Dockerfile.Syntax;

namespace Builder.Dockerfile.Tests.Syntax;

/// <summary>The table-driven vectors transcribed from BuildKit's parser tests (parser-vectors.json).</summary>
public sealed class ParserVectorTests
{
    private static readonly JsonElement Vectors = JsonDocument.Parse(TestData.Read("parser-vectors.json")).RootElement;

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    public static TheoryData<string, string[]> ParseWordsCases()
    {
        var data = new TheoryData<string, string[]>();
        foreach (var c in Vectors.GetProperty("parse_words").GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("input").GetString()!, Strings(c.GetProperty("expect")));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ParseWordsCases))]
    public void Words_keep_quotes_and_escapes(string input, string[] expected)
    {
        var words = Grammar.Words(input, '\\').Select(w => w.Value);

        Assert.Equal(expected, words);
    }

    public static TheoryData<string, string[]> ValidJsonArrays()
    {
        var data = new TheoryData<string, string[]>();
        foreach (var c in Vectors.GetProperty("json_arrays").GetProperty("valid").EnumerateArray())
        {
            data.Add(c.GetProperty("input").GetString()!, Strings(c.GetProperty("expect")));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ValidJsonArrays))]
    public void Exec_form_decodes_json_strings(string input, string[] expected)
    {
        var syntax = DockerfileParser.Parse($"FROM scratch\nCMD {input}\n");

        var cmd = syntax.Instructions[1];
        Assert.True(cmd.IsJsonForm);
        Assert.Equal(expected, cmd.Arguments.Select(a => a.Value));
    }

    public static TheoryData<string> NonStringJsonArrays() =>
        new(Strings(Vectors.GetProperty("json_arrays").GetProperty("invalid_not_string_array")));

    [Theory]
    [MemberData(nameof(NonStringJsonArrays))]
    public void Json_array_with_a_non_string_is_an_error(string input)
    {
        var syntax = DockerfileParser.Parse($"FROM scratch\nCMD {input}\n");

        var error = Assert.Single(syntax.Errors);
        Assert.Equal("when using JSON array syntax, arrays must be comprised of strings only", error.Message);
        Assert.Equal(2, error.Span.Start.Line);
    }

    [Theory]
    [InlineData("RUN [\"a\", 'b']", "[\"a\", 'b']")]
    [InlineData("ENTRYPOINT [\"unterminated", "[\"unterminated")]
    [InlineData("CMD [\"a\" \"b\"]", "[\"a\" \"b\"]")]
    public void Invalid_json_falls_back_to_shell_form(string line, string expected)
    {
        var syntax = DockerfileParser.Parse($"FROM scratch\n{line}\n");

        var instruction = syntax.Instructions[1];
        Assert.False(instruction.IsJsonForm);
        Assert.Equal(expected, Assert.Single(instruction.Arguments).Value);
    }

    [Fact]
    public void Name_value_forms_give_key_value_separator_triples()
    {
        foreach (var c in Vectors.GetProperty("name_val").GetProperty("cases").EnumerateArray())
        {
            var line = c.GetProperty("instruction").GetString() + " " + c.GetProperty("args").GetString();
            var syntax = DockerfileParser.Parse("FROM scratch\n" + line + "\n");
            if (c.TryGetProperty("expect_error", out var expectedError))
            {
                Assert.Equal(expectedError.GetString(), Assert.Single(syntax.Errors).Message);
            }
            else
            {
                Assert.Empty(syntax.Errors);
                Assert.Equal(Strings(c.GetProperty("expect_words")), syntax.Instructions[1].Arguments.Select(a => a.Value));
            }
        }
    }

    [Fact]
    public void Blank_lines_inside_a_continuation_warn_and_comment_lines_do_not()
    {
        var vector = Vectors.GetProperty("empty_continuation_warnings");
        var syntax = DockerfileParser.Parse(vector.GetProperty("dockerfile").GetString()!);

        var expect = vector.GetProperty("expect");
        Assert.Empty(syntax.Errors);
        var warnings = syntax.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Warning).ToList();
        Assert.Equal(expect.GetProperty("warning_count").GetInt32(), warnings.Count);
        var fragments = expect.GetProperty("warning_short_contains").EnumerateArray().ToList();
        for (var i = 0; i < warnings.Count; i++)
        {
            foreach (var fragment in Strings(fragments[i]))
            {
                Assert.Contains(fragment, warnings[i].Message);
            }
            Assert.Equal(expect.GetProperty("warning_detail").GetString(), warnings[i].Detail);
        }
    }

    [Fact]
    public void Instructions_span_the_physical_lines_they_consumed()
    {
        var vector = Vectors.GetProperty("line_numbers");
        var syntax = DockerfileParser.Parse(TestData.Read(vector.GetProperty("file").GetString()!.Split('/')));

        var expected = vector.GetProperty("children").EnumerateArray()
            .Select(c => (c[0].GetInt32(), c[1].GetInt32()));
        Assert.Equal(expected, syntax.Instructions.Select(i => (i.Span.Start.Line, i.Span.End.Line)));
        Assert.Equal(vector.GetProperty("root").GetProperty("start_line").GetInt32(), syntax.Instructions[0].Span.Start.Line);
        Assert.Equal(vector.GetProperty("root").GetProperty("end_line").GetInt32(), syntax.Instructions[^1].Span.End.Line);
    }

    [Fact]
    public void A_line_longer_than_64_KiB_is_an_error()
    {
        var vector = Vectors.GetProperty("line_too_long");
        var text = vector.GetProperty("dockerfile_template").GetString()!
            .Replace("<65536 x \"a\">", new string('a', 65536), StringComparison.Ordinal);

        var syntax = DockerfileParser.Parse(text);

        Assert.Equal(vector.GetProperty("expect_error").GetString(), Assert.Single(syntax.Errors).Message);
    }

    public static TheoryData<string, string> EscapeDirectiveCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var c in Vectors.GetProperty("directives").GetProperty("escape").EnumerateArray())
        {
            var expect = c.GetProperty("expect")[0];
            data.Add(c.GetProperty("dockerfile").GetString()!, expect.GetProperty("value").GetString()!);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EscapeDirectiveCases))]
    public void Escape_directive_is_found_case_insensitively_and_unknown_names_are_not_directives(string dockerfile, string value)
    {
        var syntax = DockerfileParser.Parse(dockerfile + "FROM scratch\n");

        var directive = Assert.Single(syntax.Directives);
        Assert.Equal("escape", directive.Name);
        Assert.Equal(value, directive.Value);
    }

    public static TheoryData<string, string, bool, string?, string?, int?> DirectiveDetectionCases()
    {
        var data = new TheoryData<string, string, bool, string?, string?, int?>();
        var directives = Vectors.GetProperty("directives");
        foreach (var (group, key, field) in new[] { ("detect_syntax", "syntax", "ref"), ("parse_directive_check", "check", "value") })
        {
            foreach (var c in directives.GetProperty(group).EnumerateArray())
            {
                var text = c.GetProperty("dockerfile").GetString()!;
                if (c.TryGetProperty("dockerfile_bytes_hex_prefix", out _))
                {
                    text = "\uFEFF" + text;
                }
                data.Add(
                    text,
                    key,
                    c.GetProperty("found").GetBoolean(),
                    c.TryGetProperty(field, out var v) ? v.GetString() : null,
                    c.TryGetProperty("cmdline", out var cmdline) ? cmdline.GetString() : null,
                    c.TryGetProperty("line", out var line) ? line.GetInt32() : null);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(DirectiveDetectionCases))]
    public void Directive_detection_follows_buildkit(string dockerfile, string key, bool found, string? value, string? cmdline, int? line)
    {
        var directive = key == "syntax" ? DockerfileDirectives.DetectSyntax(dockerfile) : DockerfileDirectives.Find(key, dockerfile);

        Assert.Equal(found, directive is not null);
        if (found && value is not null)
        {
            Assert.Equal(value, directive!.Reference);
        }
        if (found && cmdline is not null)
        {
            Assert.Equal(cmdline, directive!.Value);
        }
        if (found && line is not null)
        {
            Assert.Equal(line, directive!.Line);
        }
    }

    [Fact]
    public void A_repeated_directive_is_an_error()
    {
        var syntax = DockerfileParser.Parse("# escape=`\n# escape=\\\nFROM scratch\n");

        var error = Assert.Single(syntax.Errors);
        Assert.Equal("only one escape parser directive can be used", error.Message);
        Assert.Equal(2, error.Span.Start.Line);
    }

    [Fact]
    public void An_escape_directive_other_than_backslash_or_backtick_is_an_error()
    {
        var syntax = DockerfileParser.Parse("# escape=x\nFROM scratch\n");

        Assert.Contains("invalid escape token 'x'", Assert.Single(syntax.Errors).Message);
    }
}
