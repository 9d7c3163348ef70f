using System.Text.Json;
using Builder.Dockerfile.Shell;

namespace Builder.Dockerfile.Tests.Shell;

/// <summary>Every entry of shell/lex-vectors.json, transcribed from BuildKit's lex_test.go.</summary>
public sealed class LexVectorTests
{
    public static TheoryData<int, string> ProcessWordWithMatchesCases() => CaseInputs("process_word_with_matches");

    public static TheoryData<int, string> MandatoryEnvVarCases() => CaseInputs("mandatory_env_vars");

    public static TheoryData<int, string> PlatformReleaseNameCases() => CaseInputs("platform_release_name");

    public static TheoryData<int, string> GetEnvCases()
    {
        var data = new TheoryData<int, string>();
        var index = 0;
        foreach (var entry in Cases("get_env"))
        {
            data.Add(index++, entry.GetProperty("name").GetString()!);
        }

        return data;
    }

    [Fact]
    public void File_has_47_match_cases_6_mandatory_3_platform_and_6_env_list_cases()
    {
        Assert.Equal(47, Cases("process_word_with_matches").Count);
        Assert.Equal(6, Cases("mandatory_env_vars").Count);
        Assert.Equal(3, Cases("platform_release_name").Count);
        Assert.Equal(6, Cases("get_env").Count);
    }

    [Theory]
    [MemberData(nameof(ProcessWordWithMatchesCases))]
    public void Expansion_reports_value_and_matched_and_unmatched_variables(int index, string input)
    {
        var entry = Cases("process_word_with_matches")[index];
        var env = EnvOf(entry);
        var lexer = new ShellLexer('\\');

        if (entry.TryGetProperty("expect_error", out var error) && error.GetBoolean())
        {
            Assert.Throws<ShellExpansionException>(() => lexer.ProcessWord(input, env));
            return;
        }

        var result = lexer.ProcessWord(input, env);
        Assert.Equal(entry.GetProperty("expected").GetString(), result.Value);
        Assert.Equal(Names(entry, "matched"), result.Matched.Order(StringComparer.Ordinal));
        Assert.Equal(Names(entry, "unmatched"), result.Unmatched.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(MandatoryEnvVarCases))]
    public void Mandatory_variable_check_fails_with_the_expanded_message(int index, string input)
    {
        var entry = Cases("mandatory_env_vars")[index];
        var lexer = new ShellLexer('\\');

        if (entry.TryGetProperty("expect_error_contains", out var message))
        {
            var error = Assert.Throws<ShellExpansionException>(() => lexer.ProcessWord(input, EnvOf(entry)));
            Assert.Contains(message.GetString()!, error.Message, StringComparison.Ordinal);
            return;
        }

        Assert.Equal(entry.GetProperty("expected").GetString(), lexer.ProcessWord(input, EnvOf(entry)).Value);
    }

    [Theory]
    [MemberData(nameof(PlatformReleaseNameCases))]
    public void Release_file_name_drops_the_variant_part_when_the_variant_is_empty_or_unset(int index, string input)
    {
        var entry = Cases("platform_release_name")[index];

        var result = new ShellLexer('\\').ProcessWord(input, EnvOf(entry));

        Assert.Equal(entry.GetProperty("expected").GetString(), result.Value);
    }

    [Theory]
    [MemberData(nameof(GetEnvCases))]
    public void Env_list_lookup_treats_bare_and_empty_entries_as_empty_and_last_duplicate_wins(int index, string name)
    {
        var entry = Cases("get_env")[index];
        var list = entry.GetProperty("env_list").EnumerateArray().Select(e => e.GetString()!).ToList();

        var env = ShellEnvironment.FromList(list);

        Assert.Equal(entry.GetProperty("expected").GetString(), env.TryGetValue(name, out var value) ? value : "");
        var listed = list.Any(e => e == name || e.StartsWith(name + "=", StringComparison.Ordinal));
        Assert.Equal(listed, env.ContainsKey(name));
    }

    private static TheoryData<int, string> CaseInputs(string section)
    {
        var data = new TheoryData<int, string>();
        var index = 0;
        foreach (var entry in Cases(section))
        {
            data.Add(index++, entry.GetProperty("input").GetString()!);
        }

        return data;
    }

    private static List<JsonElement> Cases(string section)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(ShellTestData.PathOf("lex-vectors.json")));
        return document.RootElement.GetProperty(section).GetProperty("cases").EnumerateArray()
            .Select(e => e.Clone())
            .ToList();
    }

    private static Dictionary<string, string> EnvOf(JsonElement entry) =>
        entry.GetProperty("env").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);

    private static IEnumerable<string> Names(JsonElement entry, string property) =>
        entry.GetProperty(property).EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal);
}
