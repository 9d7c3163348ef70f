using Builder.Dockerfile.Shell;

namespace Builder.Dockerfile.Tests.Shell;

/// <summary>
/// Every line of BuildKit's shell/wordsTest (TestShellParser4Words, normal mode): `ENV ` lines add
/// `line[3:]` without leading spaces to the environment of later lines (trailing spaces kept); other lines
/// are `input|expected` with the input trimmed and the expected side stripped of leading spaces only, then
/// split on ','. A failed expansion counts as the single word `error`.
/// </summary>
public sealed class WordsTestVectorTests
{
    public static TheoryData<int, string, string[], string[]> Vectors()
    {
        var data = new TheoryData<int, string, string[], string[]>();
        foreach (var (line, input, env, expected) in ReadVectors())
        {
            data.Add(line, input, env, expected);
        }

        return data;
    }

    [Fact]
    public void File_has_24_vectors_and_4_env_lines()
    {
        var vectors = ReadVectors();
        Assert.Equal(24, vectors.Count);
        Assert.Equal(4, vectors[^1].Env.Length);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Word_splits_like_buildkit(int line, string input, string[] env, string[] expected)
    {
        var lexer = new ShellLexer('\\');

        IReadOnlyList<string> words;
        try
        {
            words = lexer.ProcessWords(input, ShellEnvironment.FromList(env));
        }
        catch (ShellExpansionException)
        {
            words = ["error"];
        }

        Assert.True(
            expected.SequenceEqual(words),
            $"line {line}: {input} gave [{string.Join("|", words)}], expected [{string.Join("|", expected)}]");
    }

    private static List<(int Line, string Input, string[] Env, string[] Expected)> ReadVectors()
    {
        var vectors = new List<(int, string, string[], string[])>();
        var env = new List<string>();
        var lines = File.ReadAllLines(ShellTestData.PathOf("wordsTest"));
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith('#'))
            {
                continue;
            }

            if (line.StartsWith("ENV ", StringComparison.Ordinal))
            {
                env.Add(line[3..].TrimStart(' '));
                continue;
            }

            var parts = line.Split('|');
            Assert.True(parts.Length == 2, $"line {i + 1} must have exactly one '|': {line}");
            vectors.Add((i + 1, parts[0].Trim(), [.. env], parts[1].TrimStart(' ').Split(',')));
        }

        return vectors;
    }
}
