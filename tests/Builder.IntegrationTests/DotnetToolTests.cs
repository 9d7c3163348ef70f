using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>
/// builder as a .NET tool (issue 20): <c>scripts/pack-tool.sh</c> packs it into a folder feed, <c>dotnet tool install</c>
/// puts it in a tool path — on linux-x64 the native AOT executable — and it builds an image.
/// </summary>
public sealed class DotnetToolTests
{
    [Fact]
    public async Task The_packed_tool_installs_as_the_native_executable_and_builds()
    {
        using var temp = new TempDirectory();
        var feed = temp.Combine("feed");
        (await ExternalTool.RunAsync("bash", [Path.Combine(DifferentialTests.RepositoryRoot, "scripts", "pack-tool.sh"), feed],
            timeout: TimeSpan.FromMinutes(15))).EnsureSuccess("scripts/pack-tool.sh");
        var tools = temp.Combine("tools");
        (await ExternalTool.RunAsync("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", feed, "Builder.Cli"],
            timeout: TimeSpan.FromMinutes(5))).EnsureSuccess("dotnet tool install");

        var installed = Path.Combine(tools, "builder");
        Assert.Contains("linux-x64", new FileInfo(installed).LinkTarget ?? "", StringComparison.Ordinal);
        var elf = new byte[4];
        await using (var file = File.OpenRead(installed))
        {
            await file.ReadExactlyAsync(elf);
        }
        Assert.Equal("\u007fELF"u8.ToArray(), elf); // the native executable, not a dotnet shim
        var builder = new BuilderCommand(temp.Combine("store")) { Executable = installed };
        Assert.Matches(@"^\d+\.\d+\.\d+", (await builder.RunAsync("--version")).EnsureSuccess("builder --version").Out);
        (await builder.RunAsync("import", await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs")), "-t", "base")).EnsureSuccess("import");
        var context = Directory.CreateDirectory(temp.Combine("context")).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), "FROM base\nRUN echo tool > /made-by\n");
        (await builder.RunAsync("build", "-t", "by-the-tool", context)).EnsureSuccess("build with the installed tool");
        Assert.Equal("tool", (await builder.RunAsync("run", "by-the-tool", "cat", "/made-by")).EnsureSuccess("run").Out.Trim());
    }
}
