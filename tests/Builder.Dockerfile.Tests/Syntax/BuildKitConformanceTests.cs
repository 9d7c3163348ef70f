using Builder.Dockerfile.Syntax;

namespace Builder.Dockerfile.Tests.Syntax;

/// <summary>BuildKit's own parser test files: our dump must equal its <c>result</c> file byte for byte.</summary>
public sealed class BuildKitConformanceTests
{
    public static TheoryData<string> PositiveCases() =>
        new(Directory.GetDirectories(TestData.BuildKit("testfiles")).Select(Path.GetFileName).Order()!);

    public static TheoryData<string> NegativeCases() =>
        new(Directory.GetDirectories(TestData.BuildKit("testfiles-negative")).Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(PositiveCases))]
    public void Dump_equals_buildkit_result(string name)
    {
        var text = File.ReadAllText(TestData.BuildKit("testfiles", name, "Dockerfile"));
        var expected = File.ReadAllText(TestData.BuildKit("testfiles", name, "result")).ReplaceLineEndings("\n");

        var syntax = DockerfileParser.Parse(text);

        Assert.Empty(syntax.Errors);
        Assert.Equal(expected, SyntaxDump.Dump(syntax));
    }

    [Theory]
    [MemberData(nameof(NegativeCases))]
    public void Rejected_dockerfile_gives_an_error_with_a_location(string name)
    {
        var text = File.ReadAllText(TestData.BuildKit("testfiles-negative", name, "Dockerfile"));

        var syntax = DockerfileParser.Parse(text);

        var error = Assert.Single(syntax.Errors);
        Assert.True(error.Span.Start.Line >= 1);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }
}
