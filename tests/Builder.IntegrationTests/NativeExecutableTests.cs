using System.Formats.Tar;
using System.Text.Json.Nodes;
using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>
/// builder ships as a native (AOT, trimmed) executable. The trim and AOT analyzers guard the code at every build;
/// these tests run the published executable itself through each kind of work: parsing, JSON and YAML, the store,
/// the sandbox, the registry client and archives.
/// </summary>
public sealed class NativeExecutableTests(NativeExecutableTests.PublishedExecutable published) : IClassFixture<NativeExecutableTests.PublishedExecutable>
{
    /// <summary>`dotnet publish` of the CLI, once for the class.</summary>
    public sealed class PublishedExecutable : IAsyncLifetime
    {
        private readonly TempDirectory _output = new("builder-native");

        public string Path => _output.Combine("builder");

        public async Task InitializeAsync() =>
            (await ExternalTool.RunAsync("dotnet", ["publish", System.IO.Path.Combine(DifferentialTests.RepositoryRoot, "src", "Builder.Cli"),
                "-c", "Release", "-r", "linux-x64", "-o", _output.Path, "-nologo"])).EnsureSuccess("dotnet publish (native AOT)");

        public Task DisposeAsync()
        {
            _output.Dispose();
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task The_native_executable_builds_runs_pushes_pulls_and_saves_an_image()
    {
        using var temp = new TempDirectory();
        await using var registry = await RegistryProcess.StartAsync();
        var builder = new BuilderCommand(temp.Combine("store")) { Executable = published.Path };
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("busybox"));
        (await builder.RunAsync("import", rootfs, "-t", "busybox")).EnsureSuccess("import");
        var context = Directory.CreateDirectory(temp.Combine("context")).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "greeting.txt"), "hello\n");
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"),
            "FROM busybox\nARG WHO=native\nENV WHO=$WHO\nCOPY greeting.txt /app/\nRUN echo \"$WHO\" >> /app/greeting.txt\nCMD [\"cat\", \"/app/greeting.txt\"]\n");
        var name = $"{registry.Host}/native/app:1";

        (await builder.RunAsync("build", "-t", name, "--progress", "plain", context)).EnsureSuccess("build");
        var run = await builder.RunAsync("run", "--rm", name);
        var push = await builder.RunAsync("push", name);
        (await builder.RunAsync("rmi", name)).EnsureSuccess("rmi");
        var pull = await builder.RunAsync("pull", name);
        var inspect = await builder.RunAsync("inspect", name);
        var archive = temp.Combine("app.tar");
        var save = await builder.RunAsync("save", name, "-o", archive, "--format", "oci");

        run.EnsureSuccess("run");
        Assert.Equal("hello\nnative\n", run.Out);
        push.EnsureSuccess("push");
        pull.EnsureSuccess("pull");
        Assert.Equal("native", ((string?)JsonNode.Parse(inspect.EnsureSuccess("inspect").Out)!["Config"]!["config"]!["Env"]!.AsArray()
            .Select(e => (string?)e).Single(e => e!.StartsWith("WHO=", StringComparison.Ordinal)))![4..]);
        save.EnsureSuccess("save");
        await using var tar = new TarReader(File.OpenRead(archive));
        var names = new List<string>();
        while (await tar.GetNextEntryAsync() is { } entry)
        {
            names.Add(entry.Name);
        }
        Assert.Contains("index.json", names);
    }

    [Fact]
    public async Task The_native_executable_parses_and_lints_with_a_hadolint_config()
    {
        using var temp = new TempDirectory();
        var builder = new BuilderCommand(temp.Combine("store")) { Executable = published.Path };
        var dockerfile = temp.Combine("Dockerfile");
        await File.WriteAllTextAsync(dockerfile, "FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl\nRUN cd /tmp && echo hi\n");
        await File.WriteAllTextAsync(temp.Combine(".hadolint.yaml"), "ignored:\n  - DL3003\noverride:\n  error:\n    - DL3008\n");

        var parse = await builder.RunAsync("parse", "--format", "json", dockerfile);
        var lint = await builder.RunAsync("lint", "--format", "json", "--config", temp.Combine(".hadolint.yaml"), dockerfile);

        Assert.Equal("RUN", (string?)JsonNode.Parse(parse.EnsureSuccess("parse").Out)!["instructions"]![1]!["keyword"]);
        Assert.Equal(1, lint.ExitCode);
        var findings = JsonNode.Parse(lint.Out)!.AsArray();
        Assert.Contains(findings, f => (string?)f!["code"] == "DL3008" && (string?)f["level"] == "error");
        Assert.DoesNotContain(findings, f => (string?)f!["code"] == "DL3003");
    }
}
