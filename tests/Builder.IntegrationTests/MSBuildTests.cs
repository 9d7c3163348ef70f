using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>Issue 9: the Builder.MSBuild package builds, lints and pushes images from dotnet build / dotnet publish.</summary>
public sealed class MSBuildTests
{
    private static async Task<(string Project, Dictionary<string, string> Environment, TempDirectory Temp)> SampleProjectAsync(string dockerfile)
    {
        var temp = new TempDirectory("msbuild");
        var feed = temp.Combine("feed");
        (await ExternalTool.RunAsync("dotnet", ["pack", Path.Combine(DifferentialTests.RepositoryRoot, "msbuild", "Builder.MSBuild"), "-o", feed, "-nologo"],
            timeout: TimeSpan.FromMinutes(5))).EnsureSuccess("dotnet pack Builder.MSBuild");
        var project = Directory.CreateDirectory(temp.Combine("Sample")).FullName;
        await File.WriteAllTextAsync(Path.Combine(project, "Sample.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Builder.MSBuild" Version="0.1.0" PrivateAssets="all" />
                <BuilderBuildArg Include="GREETING" Value="from-msbuild" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(project, "Program.cs"), "System.Console.WriteLine(\"hello\");\n");
        await File.WriteAllTextAsync(Path.Combine(project, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="builder" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(project, "Dockerfile"), dockerfile);
        var environment = new Dictionary<string, string>
        {
            ["BUILDER_ROOT"] = temp.Combine("store"),
            // A package cache of its own: a repacked 0.1.0 must not be shadowed by an older copy.
            ["NUGET_PACKAGES"] = temp.Combine("packages"),
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };
        return (project, environment, temp);
    }

    private static async Task<ToolResult> DotnetAsync(string project, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = project };
        foreach (var arg in args.Append("-nologo"))
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        return await ExternalTool.RunAsync(start, TimeSpan.FromMinutes(10), CancellationToken.None);
    }

    [Fact]
    public async Task Publish_builds_signs_and_pushes_the_image_the_signature_verifies_and_builder_run_executes_it()
    {
        await using var registry = await RegistryProcess.StartAsync();
        var (project, environment, temp) = await SampleProjectAsync("""
            ARG BASE
            FROM ${BASE}
            ARG GREETING
            COPY bin/Release/net10.0/publish/ /app/
            RUN echo "$GREETING" > /greeting
            CMD ["sh", "-c", "cat /greeting && ls /app"]
            """);
        using var _ = temp;
        var builder = new BuilderCommand(environment["BUILDER_ROOT"]);
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("busybox"));
        (await builder.RunAsync("import", rootfs, "-t", $"{registry.Host}/base:1")).EnsureSuccess("import base");
        (await builder.RunAsync("push", $"{registry.Host}/base:1")).EnsureSuccess("push base");
        (await builder.RunAsync("rmi", $"{registry.Host}/base:1")).EnsureSuccess("rmi base");
        await File.WriteAllTextAsync(Path.Combine(project, "Directory.Build.props"), $"""
            <Project>
              <ItemGroup>
                <BuilderBuildArg Include="BASE" Value="{registry.Host}/base:1" />
              </ItemGroup>
            </Project>
            """);

        var pki = await OpenSslPki.CreateAsync(temp.Combine("pki"));
        var pfx = await pki.PfxAsync(await pki.IssueSignerAsync("msbuild-signer", "rsa"), "pfx-secret");
        environment["BUILDER_TEST_PFX_PASSWORD"] = "pfx-secret";

        var publish = await DotnetAsync(project, environment, "publish", "-c", "Release",
            "-p:BuilderImageOnPublish=true", "-p:BuilderPush=true", $"-p:BuilderRegistry={registry.Host}", "-p:BuilderLint=false",
            "-p:BuilderSign=true", $"-p:BuilderSignPfx={pfx}", "-p:BuilderSignPasswordEnv=BUILDER_TEST_PFX_PASSWORD");
        var run = await builder.RunAsync("run", $"{registry.Host}/sample:latest");
        var inRegistry = await ExternalTool.RunAsync("skopeo", ["inspect", "--tls-verify=false", $"docker://{registry.Host}/sample:latest"]);
        var verify = await builder.RunAsync("verify", "--ca", pki.RootCertificate, "--cert-identity", "msbuild-signer", $"{registry.Host}/sample:latest");

        publish.EnsureSuccess("dotnet publish");
        Assert.Contains("Pushed", publish.Out);
        Assert.Contains("Signed sha256:", publish.Out);
        verify.EnsureSuccess("builder verify of the image MSBuild signed and pushed");
        run.EnsureSuccess("builder run");
        Assert.Equal("from-msbuild", run.Out.Split('\n')[0]);
        Assert.Contains("Sample.dll", run.Out);
        inRegistry.EnsureSuccess("skopeo inspect");
    }

    [Fact]
    public async Task BuilderPlatforms_publishes_one_index_of_both_platforms()
    {
        await using var registry = await RegistryProcess.StartAsync();
        await Emulation.RequireArm64Async();
        var (project, environment, temp) = await SampleProjectAsync("""
            FROM base-$TARGETARCH
            COPY bin/Release/net10.0/publish/ /app/
            RUN test -f /app/Sample.dll && uname -m > /arch
            """);
        using var _ = temp;
        var builder = new BuilderCommand(environment["BUILDER_ROOT"]);
        var amd64 = await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs-amd64"));
        var arm64 = await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs-arm64"), binary: await Emulation.Arm64BusyboxAsync());
        (await builder.RunAsync("import", amd64, "--platform", "linux/amd64", "-t", "base-amd64")).EnsureSuccess("import amd64");
        (await builder.RunAsync("import", arm64, "--platform", "linux/arm64", "-t", "base-arm64")).EnsureSuccess("import arm64");

        var publish = await DotnetAsync(project, environment, "publish", "-c", "Release", "-p:BuilderImageOnPublish=true", "-p:BuilderPush=true",
            $"-p:BuilderRegistry={registry.Host}", "-p:BuilderLint=false", "-p:BuilderPlatforms=linux/amd64%3Blinux/arm64");

        publish.EnsureSuccess("dotnet publish with BuilderPlatforms");
        var raw = System.Text.Json.Nodes.JsonNode.Parse((await ExternalTool.RunAsync("skopeo",
            ["inspect", "--raw", "--tls-verify=false", $"docker://{registry.Host}/sample:latest"])).EnsureSuccess("skopeo inspect").Out)!;
        Assert.Equal(["amd64", "arm64"], raw["manifests"]!.AsArray().Select(m => m!["platform"]!["architecture"]!.GetValue<string>()).Order());
        Assert.Equal("aarch64", (await builder.RunAsync("run", "--platform", "linux/arm64", $"{registry.Host}/sample:latest", "cat", "/arch"))
            .EnsureSuccess("run arm64").Out.Trim());
    }

    [Fact]
    public async Task Lint_findings_are_warnings_on_the_Dockerfile_line_an_error_level_finding_fails_at_threshold_error_and_a_second_build_is_cached()
    {
        var (project, environment, temp) = await SampleProjectAsync("FROM busybox:1\nRUN cd /tmp && echo hi > /hi\n");
        using var _ = temp;
        var builder = new BuilderCommand(environment["BUILDER_ROOT"]);
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("busybox"));
        (await builder.RunAsync("import", rootfs, "-t", "busybox:1")).EnsureSuccess("import base");

        var first = await DotnetAsync(project, environment, "build", "-t:Build;BuildImage");
        // BuilderOutput is the engine's to write, as `builder build -o` (commas escaped for MSBuild's -p).
        var layout = temp.Combine("layout");
        var second = await DotnetAsync(project, environment, "build", "-t:BuildImage", $"-p:BuilderOutput=type=oci%2Cdest={layout}%2Ctar=false");
        // BuilderCacheTo/BuilderCacheFrom: exported to a directory, the local records forgotten, imported again.
        var cache = temp.Combine("cache");
        var exported = await DotnetAsync(project, environment, "build", "-t:BuildImage", $"-p:BuilderCacheTo=type=local%2Cdest={cache}");
        (await builder.RunAsync("cache", "prune")).EnsureSuccess("cache prune");
        var imported = await DotnetAsync(project, environment, "build", "-t:BuildImage", $"-p:BuilderCacheFrom=type=local%2Csrc={cache}");
        await File.WriteAllTextAsync(Path.Combine(project, "Dockerfile"), "FROM busybox:1\nMAINTAINER me\n");
        var failing = await DotnetAsync(project, environment, "build");
        // BuildImage alone lints first too (BuilderLint): the error stops it before anything is built.
        var failingImage = await DotnetAsync(project, environment, "build", "-t:BuildImage");
        // A failed RUN is an error at its line, from the exception's fields.
        await File.WriteAllTextAsync(Path.Combine(project, "Dockerfile"), "FROM busybox:1\n\nRUN echo bad && exit 3\n");
        var failingRun = await DotnetAsync(project, environment, "build", "-t:BuildImage", "-p:BuilderLint=false");

        first.EnsureSuccess("first build");
        Assert.Contains("Dockerfile(2,1): warning DL3003: Use WORKDIR to switch to a directory", first.Out);
        second.EnsureSuccess("second build");
        Assert.Contains("CACHED", second.Out);
        Assert.Contains("application/vnd.oci.image.manifest.v1+json", await File.ReadAllTextAsync(Path.Combine(layout, "index.json")));
        Assert.True(File.Exists(Path.Combine(layout, "oci-layout")));
        Assert.Contains("Dockerfile(2,1): warning DL3003: Use WORKDIR to switch to a directory", second.Out);
        exported.EnsureSuccess("build exporting the cache");
        Assert.True(File.Exists(Path.Combine(cache, "index.json")));
        imported.EnsureSuccess("build importing the cache");
        Assert.Contains("CACHED (local)", imported.Out);
        Assert.NotEqual(0, failingImage.ExitCode);
        Assert.Contains("Dockerfile(2,1): error DL4000: MAINTAINER is deprecated", failingImage.Out);
        Assert.NotEqual(0, failingRun.ExitCode);
        Assert.Contains("Dockerfile(3): error BUILDER: RUN failed: process \"/bin/sh -c echo bad && exit 3\" did not complete successfully: exit code: 3", failingRun.Out);
        Assert.NotEqual(0, failing.ExitCode);
        Assert.Contains("Dockerfile(2,1): error DL4000: MAINTAINER is deprecated", failing.Out);
    }
}
