using System.Text.Json.Nodes;
using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>
/// Multi-platform images (issue 19): <c>--platform linux/amd64,linux/arm64</c> builds one OCI index whose arm64 image's
/// RUN steps ran under QEMU; a BUILDPLATFORM stage runs once for both; skopeo reads the index back from the registry;
/// <c>builder run --platform</c> runs either image; images pushed from two stores merge with <c>builder manifest</c>
/// without a layer being downloaded. Bases are made offline: this machine's busybox and Debian's arm64 busybox-static.
/// </summary>
public sealed class MultiPlatformTests
{
    /// <summary>A store with base-amd64 and base-arm64 imported (each with its platform), and its registry session.</summary>
    private static async Task<BuilderCommand> StoreWithBasesAsync(TempDirectory temp, string store = "store")
    {
        await Emulation.RequireArm64Async();
        var builder = new BuilderCommand(temp.Combine(store));
        var amd64 = await BaseRootfs.CreateBusyboxAsync(temp.Combine(store + "-rootfs-amd64"));
        var arm64 = await BaseRootfs.CreateBusyboxAsync(temp.Combine(store + "-rootfs-arm64"), binary: await Emulation.Arm64BusyboxAsync());
        (await builder.RunAsync("import", amd64, "--platform", "linux/amd64", "-t", "base-amd64")).EnsureSuccess("import amd64");
        (await builder.RunAsync("import", arm64, "--platform", "linux/arm64", "-t", "base-arm64")).EnsureSuccess("import arm64");
        return builder;
    }

    [Fact]
    public async Task Two_platforms_build_one_index_whose_images_ran_natively_and_under_qemu()
    {
        await using var registry = await RegistryProcess.StartAsync();
        using var temp = new TempDirectory();
        var builder = await StoreWithBasesAsync(temp);
        var context = Directory.CreateDirectory(temp.Combine("context")).FullName;
        // The tools stage runs on the build platform and uses no TARGET* argument: once, for both images.
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), """
            FROM --platform=$BUILDPLATFORM base-amd64 AS tools
            RUN echo "once $(date +%s%N)" > /stamp
            FROM base-$TARGETARCH
            COPY --from=tools /stamp /stamp
            RUN uname -m > /arch
            """);
        var name = $"{registry.Host}/multi:1";

        var build = (await builder.RunAsync("build", "--progress", "plain", "--platform", "linux/amd64,linux/arm64", "-t", name, "--push", "--sbom", context))
            .EnsureSuccess("builder build --platform linux/amd64,linux/arm64");

        Assert.Contains("[linux/arm64 ", build.Error, StringComparison.Ordinal);
        var raw = JsonNode.Parse((await ExternalTool.RunAsync("skopeo", ["inspect", "--raw", "--tls-verify=false", $"docker://{name}"])).EnsureSuccess("skopeo inspect").Out)!;
        Assert.Equal("application/vnd.oci.image.index.v1+json", raw["mediaType"]!.GetValue<string>());
        var manifests = raw["manifests"]!.AsArray();
        Assert.Equal(2, manifests.Count);
        Assert.Equal(["amd64", "arm64"], manifests.Select(m => m!["platform"]!["architecture"]!.GetValue<string>()).Order());
        Assert.All(manifests, m => Assert.Equal("linux", m!["platform"]!["os"]!.GetValue<string>()));
        (await ExternalTool.RunAsync("skopeo", ["copy", "--all", "--src-tls-verify=false", $"docker://{name}", $"oci:{temp.Combine("copied")}:1"]))
            .EnsureSuccess("skopeo copy --all");
        // Each platform's image has its SBOM (the registry has no referrers API: the fallback tag sha256-<digest>); the
        // index has none, and lists no attestation entry.
        foreach (var manifest in manifests)
        {
            var tag = manifest!["digest"]!.GetValue<string>().Replace(':', '-');
            var referrers = JsonNode.Parse((await ExternalTool.RunAsync("skopeo", ["inspect", "--raw", "--tls-verify=false", $"docker://{registry.Host}/multi:{tag}"]))
                .EnsureSuccess($"skopeo inspect the referrers of {tag}").Out)!;
            Assert.Single(referrers["manifests"]!.AsArray(), r => r!["artifactType"]!.GetValue<string>() == "application/spdx+json");
        }
        var indexDigest = JsonNode.Parse((await ExternalTool.RunAsync("skopeo", ["inspect", "--tls-verify=false", $"docker://{name}"])).EnsureSuccess("skopeo inspect").Out)!;
        Assert.NotEqual(0, (await ExternalTool.RunAsync("skopeo",
            ["inspect", "--raw", "--tls-verify=false", $"docker://{registry.Host}/multi:{indexDigest["Digest"]!.GetValue<string>().Replace(':', '-')}"])).ExitCode);

        var amd64Arch = (await builder.RunAsync("run", "--platform", "linux/amd64", name, "cat", "/arch")).EnsureSuccess("run amd64").Out.Trim();
        var arm64Arch = (await builder.RunAsync("run", "--platform", "linux/arm64", name, "cat", "/arch")).EnsureSuccess("run arm64").Out.Trim();
        Assert.Equal(("x86_64", "aarch64"), (amd64Arch, arm64Arch));
        Assert.Equal("aarch64", (await builder.RunAsync("run", "--platform", "linux/arm64", name, "uname", "-m")).EnsureSuccess("run uname").Out.Trim());
        var stamps = new List<string>();
        foreach (var platform in new[] { "linux/amd64", "linux/arm64" })
        {
            stamps.Add((await builder.RunAsync("run", "--platform", platform, name, "cat", "/stamp")).EnsureSuccess("run cat /stamp").Out.Trim());
        }
        Assert.StartsWith("once ", stamps[0], StringComparison.Ordinal);
        Assert.Equal(stamps[0], stamps[1]);

        // The store lists the index once, and inspect shows it beside the platform asked for.
        var inspect = JsonNode.Parse((await builder.RunAsync("inspect", "--platform", "linux/arm64", name)).EnsureSuccess("inspect").Out)!;
        Assert.Equal("arm64", JsonNode.Parse(inspect["Config"]!.ToJsonString())!["architecture"]!.GetValue<string>());
        Assert.Equal(2, inspect["Index"]!["manifests"]!.AsArray().Count);
        var images = (await builder.RunAsync("images")).EnsureSuccess("images").Out;
        Assert.Contains(inspect["IndexDigest"]!.GetValue<string>()["sha256:".Length..][..12], images, StringComparison.Ordinal);

        // Saved as OCI, the whole index: both images, which umoci-free skopeo reads back.
        var saved = temp.Combine("multi.tar");
        (await builder.RunAsync("save", "--format", "oci", "-o", saved, name)).EnsureSuccess("save --format oci");
        var layout = Directory.CreateDirectory(temp.Combine("saved")).FullName;
        (await ExternalTool.RunAsync("tar", ["-xf", saved, "-C", layout])).EnsureSuccess("tar -x");
        var savedIndex = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(layout, "index.json")))!["manifests"]![0]!;
        var inner = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(layout, "blobs", "sha256", savedIndex["digest"]!.GetValue<string>()["sha256:".Length..])))!;
        Assert.Equal(2, inner["manifests"]!.AsArray().Count);
    }

    [Fact]
    public async Task Images_pushed_from_two_stores_merge_into_one_index_without_a_layer_downloaded()
    {
        await using var registry = await RegistryProcess.StartAsync();
        using var temp = new TempDirectory();
        var first = await StoreWithBasesAsync(temp, "runner-amd64");
        var second = await StoreWithBasesAsync(temp, "runner-arm64");
        (await first.RunAsync("push", "base-amd64", $"{registry.Host}/app:amd64")).EnsureSuccess("push amd64");
        (await second.RunAsync("push", "base-arm64", $"{registry.Host}/app-arm64:1")).EnsureSuccess("push arm64");
        var layers = new List<string>();
        foreach (var image in new[] { "app:amd64", "app-arm64:1" })
        {
            var manifest = JsonNode.Parse((await ExternalTool.RunAsync("skopeo", ["inspect", "--raw", "--tls-verify=false", $"docker://{registry.Host}/{image}"]))
                .EnsureSuccess("skopeo inspect").Out)!;
            layers.AddRange(manifest["layers"]!.AsArray().Select(l => l!["digest"]!.GetValue<string>()));
        }
        var merger = new BuilderCommand(temp.Combine("merger"));

        (await merger.RunAsync("manifest", "create", $"{registry.Host}/app:multi", $"{registry.Host}/app:amd64", $"{registry.Host}/app-arm64:1"))
            .EnsureSuccess("manifest create");
        var push = (await merger.RunAsync("manifest", "push", $"{registry.Host}/app:multi")).EnsureSuccess("manifest push");

        var rawText = (await ExternalTool.RunAsync("skopeo", ["inspect", "--raw", "--tls-verify=false", $"docker://{registry.Host}/app:multi"]))
            .EnsureSuccess("skopeo inspect").Out;
        var raw = JsonNode.Parse(rawText)!;
        Assert.Equal(["amd64", "arm64"], raw["manifests"]!.AsArray().Select(m => m!["platform"]!["architecture"]!.GetValue<string>()).Order());
        Assert.Equal("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(rawText.TrimEnd('\n')))), // skopeo adds a newline
            push.Out.Trim());
        // The arm64 layer reached app by a mount; no layer was read from the registry (configs were: they hold the platforms).
        Assert.Contains("mounted from app-arm64", push.Error, StringComparison.Ordinal);
        foreach (var layer in layers)
        {
            Assert.True(registry.CountLogLines("GET", $"/blobs/{layer}") == 0, $"{layer} was downloaded:\n{registry.Log}");
        }
        (await ExternalTool.RunAsync("skopeo", ["copy", "--all", "--src-tls-verify=false", $"docker://{registry.Host}/app:multi", $"oci:{temp.Combine("copied")}:1"]))
            .EnsureSuccess("skopeo copy --all");

        // The merged image as a base: FROM picks each target platform's image out of the index.
        var context = Directory.CreateDirectory(temp.Combine("context")).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), $"FROM {registry.Host}/app:multi\nRUN uname -m > /arch\n");
        (await merger.RunAsync("build", "--platform", "linux/arm64,linux/amd64", "-t", "on-merged", context)).EnsureSuccess("build on the merged index");
        foreach (var (platform, machine) in new[] { ("linux/arm64", "aarch64"), ("linux/amd64", "x86_64") })
        {
            Assert.Equal(machine, (await merger.RunAsync("run", "--platform", platform, "on-merged", "cat", "/arch")).EnsureSuccess("run").Out.Trim());
        }
    }

    [Fact]
    public async Task A_foreign_platform_without_its_qemu_handler_fails_before_any_step_with_one_line()
    {
        // The handler check itself is unit-tested (BinfmtEmulatorsTests) against a fake binfmt_misc; here the real CLI, with
        // a second platform no QEMU emulates (qemu-user-static registers most real ones, so a made-up architecture).
        using var temp = new TempDirectory();
        var builder = new BuilderCommand(temp.Combine("store"));
        var context = Directory.CreateDirectory(temp.Combine("context")).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), "FROM scratch\nCOPY Dockerfile /\nRUN echo never\n");

        var build = await builder.RunAsync("build", "--platform", "linux/amd64,linux/z80", context);

        Assert.Equal(1, build.ExitCode);
        var error = build.Error.Trim().Split('\n').Last();
        Assert.Matches(@"^error: Dockerfile:3: RUN for linux/z80 needs QEMU", error);
        Assert.DoesNotContain("#1", build.Error, StringComparison.Ordinal);
    }
}
