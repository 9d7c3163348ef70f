using System.Text.Json.Nodes;
using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>
/// Issue 6's differential acceptance: each case in TestData/differential is built by <c>builder build</c> and must
/// give the image BuildKit gave (config fields, layer and history counts, files relative to the same base).
/// </summary>
public sealed class DifferentialTests
{
    public static string CasesDirectory { get; } = FindCases();

    /// <summary>The repository the tests run from (examples live there).</summary>
    public static string RepositoryRoot => Path.GetFullPath(Path.Combine(CasesDirectory, "..", "..", "..", ".."));

    public static TheoryData<string> Cases =>
        [.. Directory.EnumerateDirectories(CasesDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal).OfType<string>()];

    [Fact]
    public async Task The_summary_of_our_busybox_base_matches_the_reference_summary_of_the_same_base()
    {
        using var temp = new TempDirectory();
        var builder = await ImportBusyboxAsync(temp);

        var ours = await ImageSummary.OfLayoutAsync(builder.Root, "docker.io/library/busybox:latest");
        var reference = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(CasesDirectory, "base.json")))!.AsObject();

        Assert.Equal(reference["layers"]!.ToJsonString(), ours["layers"]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(reference["config"], ours["config"]), $"{reference["config"]}\n!=\n{ours["config"]}");
        Assert.Empty(ImageSummary.FilesystemDelta(ours, reference));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Builds_the_same_image_as_BuildKit(string name)
    {
        using var temp = new TempDirectory();
        var builder = await ImportBusyboxAsync(temp);
        var context = Path.Combine(CasesDirectory, name);
        var extraArgs = File.Exists(Path.Combine(context, "build-args"))
            ? File.ReadAllText(Path.Combine(context, "build-args")).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [];

        var build = await builder.RunAsync(["build", "-t", $"case:{name}", "--progress=plain", .. extraArgs, context], null, CancellationToken.None);

        build.EnsureSuccess("builder build");
        var reference = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(context, "expected.json")))!.AsObject();
        var referenceBase = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(CasesDirectory, "base.json")))!.AsObject();
        var ours = await ImageSummary.OfLayoutAsync(builder.Root, $"docker.io/library/case:{name}");
        var ourBase = await ImageSummary.OfLayoutAsync(builder.Root, "docker.io/library/busybox:latest");
        Assert.True(JsonNode.DeepEquals(reference["config"], ours["config"]), $"config:\n{reference["config"]}\n!=\n{ours["config"]}");
        var expectedFiles = ImageSummary.FilesystemDelta(reference, referenceBase);
        var actualFiles = ImageSummary.FilesystemDelta(ours, ourBase);
        Assert.True(JsonNode.DeepEquals(expectedFiles, actualFiles), $"files:\n{expectedFiles}\n!=\n{actualFiles}");
        Assert.Equal(((int)reference["layers"]!, (int)reference["history"]!), ((int)ours["layers"]!, (int)ours["history"]!));
    }

    private static async Task<BuilderCommand> ImportBusyboxAsync(TempDirectory temp)
    {
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("busybox"));
        var builder = new BuilderCommand(temp.Combine("store"));
        (await builder.RunAsync("import", rootfs, "-t", "busybox")).EnsureSuccess("builder import");
        return builder;
    }

    // The cases live in the source tree (dot files such as .dockerignore included), found from the test binary.
    private static string FindCases()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "Builder.IntegrationTests", "TestData", "differential");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("tests/Builder.IntegrationTests/TestData/differential not found above " + AppContext.BaseDirectory);
    }
}
