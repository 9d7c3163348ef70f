namespace Builder.Lint.Tests;

public sealed class ExamplesTests
{
    [Fact]
    public void The_examples_lint_clean()
    {
        var examples = FindExamples();
        var dockerfiles = Directory.EnumerateFiles(examples, "Dockerfile", SearchOption.AllDirectories).ToList();

        Assert.NotEmpty(dockerfiles);
        Assert.All(dockerfiles, path => Assert.Empty(DockerfileLinter.Lint(File.ReadAllText(path), "Dockerfile", LintConfig.Default)));
    }

    private static string FindExamples()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (Directory.Exists(Path.Combine(directory.FullName, "examples")) && File.Exists(Path.Combine(directory.FullName, "Builder.sln")))
            {
                return Path.Combine(directory.FullName, "examples");
            }
        }
        throw new DirectoryNotFoundException("examples/ not found above " + AppContext.BaseDirectory);
    }
}
