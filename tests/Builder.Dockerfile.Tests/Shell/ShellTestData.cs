namespace Builder.Dockerfile.Tests.Shell;

/// <summary>Locates the BuildKit shell-lexer test files copied next to the test assembly.</summary>
internal static class ShellTestData
{
    public static string PathOf(string fileName) =>
        Path.Combine(AppContext.BaseDirectory, "TestData", "buildkit-parser", "shell", fileName);
}
