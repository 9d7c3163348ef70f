namespace Builder.Cli.Tests;

public sealed class GraphCommandTests : IDisposable
{
    private readonly string _dockerfile = Path.GetTempFileName();

    public void Dispose() => File.Delete(_dockerfile);

    [Fact]
    public void Mermaid_shows_stages_images_and_edges()
    {
        File.WriteAllText(_dockerfile, "FROM golang AS build\nFROM build AS test\nFROM alpine\nCOPY --from=build /a /a\n");

        var result = CliRunner.Run("graph", _dockerfile);

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("flowchart TD\n", result.Out);
        Assert.Contains("stage0[\"build (stage 0)\"]", result.Out);
        Assert.Contains("image0 -->|FROM| stage0", result.Out);
        Assert.Contains("stage0 -->|COPY --from| stage2", result.Out);
        Assert.Contains("style stage1 stroke-dasharray", result.Out); // test is not needed by the last stage
    }

    [Fact]
    public void Dot_with_a_target_marks_it()
    {
        File.WriteAllText(_dockerfile, "ARG V=1\nFROM golang:$V AS build\nFROM alpine\n");

        var result = CliRunner.Run("graph", "--format", "dot", "--target", "build", "--build-arg", "V=2", _dockerfile);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("label=\"golang:2\"", result.Out);
        Assert.Contains("build (stage 0) target", result.Out);
    }

    [Fact]
    public void Unknown_target_fails_with_exit_code_1()
    {
        File.WriteAllText(_dockerfile, "FROM alpine AS a\n");

        var result = CliRunner.Run("graph", "--target", "b", _dockerfile);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("target stage \"b\" could not be found", result.Error);
    }
}
