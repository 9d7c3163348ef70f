using System.Text.Json.Nodes;
using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>
/// zstd layers (issue 20): <c>push --compression zstd</c> and <c>--output …,compression=zstd</c> give the OCI zstd media
/// type; skopeo reads the pushed image, decompressing its zstd layers itself, into an OCI layout that umoci unpacks to the
/// same tree as the gzip push's; the image pulls into another store and runs.
/// </summary>
public sealed class ZstdTests
{
    [Fact]
    public async Task A_zstd_push_unpacks_to_the_gzip_pushs_tree_and_pulls_back()
    {
        await using var registry = await RegistryProcess.StartAsync();
        using var temp = new TempDirectory();
        var builder = new BuilderCommand(temp.Combine("store"));
        (await builder.RunAsync("import", await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs")), "-t", "base")).EnsureSuccess("import");
        var context = Directory.CreateDirectory(temp.Combine("context")).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), "FROM base\nRUN mkdir /data && seq 1 20000 > /data/numbers && ln -s numbers /data/link\n");
        (await builder.RunAsync("build", "-t", "app:1", context)).EnsureSuccess("build");

        (await builder.RunAsync("push", "--compression", "zstd", "--force-compression", "app:1", $"{registry.Host}/app:zstd")).EnsureSuccess("push zstd");
        (await builder.RunAsync("push", "app:1", $"{registry.Host}/app:gzip")).EnsureSuccess("push gzip");

        var manifest = JsonNode.Parse((await ExternalTool.RunAsync("skopeo", ["inspect", "--raw", "--tls-verify=false", $"docker://{registry.Host}/app:zstd"]))
            .EnsureSuccess("skopeo inspect").Out)!;
        Assert.All(manifest["layers"]!.AsArray(), l => Assert.Equal("application/vnd.oci.image.layer.v1.tar+zstd", l!["mediaType"]!.GetValue<string>()));
        var trees = new List<string>();
        foreach (var tag in new[] { "zstd", "gzip" })
        {
            var layout = temp.Combine("layout-" + tag);
            // Debian's umoci (0.4.7) reads no zstd: skopeo decompresses the zstd layers (containers/image's own zstd
            // reader) and writes them as gzip, which umoci unpacks.
            (await ExternalTool.RunAsync("skopeo", ["copy", "--src-tls-verify=false", "--dest-compress", "--dest-compress-format", "gzip",
                $"docker://{registry.Host}/app:{tag}", $"oci:{layout}:1"])).EnsureSuccess("skopeo copy");
            var bundle = temp.Combine("bundle-" + tag);
            (await ExternalTool.RunAsync("umoci", ["unpack", "--rootless", "--image", $"{layout}:1", bundle])).EnsureSuccess("umoci unpack");
            trees.Add((await ExternalTool.RunAsync("sh", ["-c", "cd rootfs && find . -printf '%p %y %m %s %l\\n' | sort && cat data/numbers | sha256sum"], bundle))
                .EnsureSuccess("list the tree").Out);
        }
        Assert.Equal(trees[1], trees[0]);

        var other = new BuilderCommand(temp.Combine("other-store"));
        (await other.RunAsync("pull", $"{registry.Host}/app:zstd")).EnsureSuccess("pull zstd");
        Assert.Equal("20000", (await other.RunAsync("run", $"{registry.Host}/app:zstd", "sh", "-c", "wc -l < /data/link")).EnsureSuccess("run").Out.Trim());

        // The same from a build's output: an OCI export with zstd layers.
        var exported = temp.Combine("export.tar");
        (await builder.RunAsync("build", "-o", $"type=oci,dest={exported},compression=zstd,compression-level=10", context)).EnsureSuccess("build -o zstd");
        var listing = (await ExternalTool.RunAsync("tar", ["-xOf", exported, "index.json"])).EnsureSuccess("index").Out;
        var manifestDigest = JsonNode.Parse(listing)!["manifests"]![0]!["digest"]!.GetValue<string>()["sha256:".Length..];
        var exportedManifest = (await ExternalTool.RunAsync("tar", ["-xOf", exported, $"blobs/sha256/{manifestDigest}"])).EnsureSuccess("manifest").Out;
        Assert.Contains("tar+zstd", exportedManifest, StringComparison.Ordinal);
    }
}
