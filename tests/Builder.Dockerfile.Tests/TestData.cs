namespace Builder.Dockerfile.Tests;

/// <summary>Paths of the test data copied next to the test assembly.</summary>
internal static class TestData
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "TestData");

    public static string BuildKit(params string[] parts) => Path.Combine([Root, "buildkit-parser", .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(BuildKit(parts));
}
