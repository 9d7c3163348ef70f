using Builder.Dockerfile.Shell;

namespace Builder.Dockerfile.Tests.Shell;

/// <summary>
/// Every Unix and all-platform vector of BuildKit's shell/envVarTest (TestShellParser4EnvVars), read with the
/// upstream rules: '#' lines skipped before trimming, blank lines skipped, then `P|input|expected`, each
/// field trimmed; `error` means the expansion must fail. Windows-only (`W`) lines are not run.
/// </summary>
public sealed class EnvVarTestVectorTests
{
    private static readonly string[] Environment = ["PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="];

    public static TheoryData<int, string, string> UnixVectors()
    {
        var data = new TheoryData<int, string, string>();
        foreach (var (line, input, expected) in ReadVectors())
        {
            data.Add(line, input, expected);
        }

        return data;
    }

    [Fact]
    public void File_has_228_vectors_that_apply_to_unix()
    {
        // 226 `A` + 2 `U` (README); guards against a reading rule silently dropping lines.
        Assert.Equal(228, ReadVectors().Count);
    }

    [Theory]
    [MemberData(nameof(UnixVectors))]
    public void Word_expands_like_buildkit(int line, string input, string expected)
    {
        var lexer = new ShellLexer('\\');
        var env = ShellEnvironment.FromList(Environment);

        if (expected == "error")
        {
            Assert.Throws<ShellExpansionException>(() => lexer.ProcessWord(input, env));
            return;
        }

        var result = lexer.ProcessWord(input, env);
        Assert.True(expected == result.Value, $"line {line}: {input} gave '{result.Value}', expected '{expected}'");
    }

    private static List<(int Line, string Input, string Expected)> ReadVectors()
    {
        var vectors = new List<(int, string, string)>();
        var lines = File.ReadAllLines(ShellTestData.PathOf("envVarTest"));
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith('#'))
            {
                continue;
            }

            line = line.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split('|');
            Assert.Equal(3, fields.Length);
            var platform = fields[0].Trim();
            Assert.Contains(platform, new[] { "A", "U", "W" });
            if (platform == "W")
            {
                continue;
            }

            vectors.Add((i + 1, fields[1].Trim(), fields[2].Trim()));
        }

        return vectors;
    }
}
