namespace Builder.Cli.Tests;

/// <summary><c>builder parse</c> against BuildKit's parser test files, from the command line.</summary>
public sealed class ParseCommandTests
{
    public static TheoryData<string> Positive() =>
        new(Directory.GetDirectories(CliRunner.BuildKit("testfiles")).Select(Path.GetFileName).Order()!);

    public static TheoryData<string> Negative() =>
        new(Directory.GetDirectories(CliRunner.BuildKit("testfiles-negative")).Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(Positive))]
    public void Dump_format_prints_buildkits_result(string name)
    {
        var result = CliRunner.Run("parse", "--format", "dump", CliRunner.BuildKit("testfiles", name, "Dockerfile"));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(File.ReadAllText(CliRunner.BuildKit("testfiles", name, "result")), result.Out);
    }

    [Theory]
    [MemberData(nameof(Negative))]
    public void Rejected_file_fails_with_a_located_message_and_exit_code_1(string name)
    {
        var result = CliRunner.Run("parse", "--format", "dump", CliRunner.BuildKit("testfiles-negative", name, "Dockerfile"));

        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"^error: Dockerfile:\d+:\d+: \S.*\n$", result.Error);
        Assert.Empty(result.Out);
    }

    [Fact]
    public void Json_format_carries_spans()
    {
        var result = CliRunner.Run("parse", "--format", "json", CliRunner.BuildKit("testfiles", "health", "Dockerfile"));

        Assert.Equal(0, result.ExitCode);
        using var json = System.Text.Json.JsonDocument.Parse(result.Out);
        var second = json.RootElement.GetProperty("instructions")[1];
        Assert.Equal("ADD", second.GetProperty("keyword").GetString());
        Assert.Equal(2, second.GetProperty("span").GetProperty("start").GetProperty("line").GetInt32());
    }

    [Fact]
    public void Unknown_format_is_a_usage_error()
    {
        var result = CliRunner.Run("parse", "--format", "xml", "Dockerfile");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("xml", result.Error);
    }

    [Fact]
    public void Missing_file_fails_with_exit_code_1()
    {
        var result = CliRunner.Run("parse", "/nonexistent/Dockerfile");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: ", result.Error);
    }
}
