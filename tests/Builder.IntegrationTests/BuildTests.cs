using System.Text.Json.Nodes;
using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>Issue 6 (and issue 5's build-level checks): builder build end to end.</summary>
public sealed class BuildTests
{
    private static async Task<(BuilderCommand Builder, string Context)> BusyboxContextAsync(TempDirectory temp, string dockerfile, IReadOnlyDictionary<string, string>? environment = null)
    {
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("busybox"));
        var builder = new BuilderCommand(temp.Combine("store"));
        (await builder.RunAsync(["import", rootfs, "-t", "busybox"], environment, CancellationToken.None)).EnsureSuccess("builder import");
        var context = Directory.CreateDirectory(temp.Combine("context")).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), dockerfile);
        return (builder, context);
    }

    [Fact]
    public async Task A_base_in_a_local_registry_is_pulled_and_an_oci_layout_output_unpacks_with_umoci()
    {
        using var temp = new TempDirectory();
        await using var registry = await RegistryProcess.StartAsync();
        var (builder, context) = await BusyboxContextAsync(temp, "");
        (await builder.RunAsync("push", "busybox", $"{registry.Host}/base/busybox:1")).EnsureSuccess("push base");
        (await builder.RunAsync("rmi", "busybox")).EnsureSuccess("rmi");
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), $"FROM {registry.Host}/base/busybox:1\nRUN echo built > /built\n");
        var layout = temp.Combine("layout");

        var build = await builder.RunAsync("build", "-t", "x", "--output", $"type=oci,dest={layout},tar=false", context);

        build.EnsureSuccess("builder build");
        (await ExternalTool.RunAsync("umoci", ["unpack", "--image", layout + ":latest", temp.Combine("bundle")])).EnsureSuccess("umoci unpack");
        Assert.Equal("built\n", await File.ReadAllTextAsync(temp.Combine("bundle", "rootfs", "built")));
    }

    [Fact]
    public async Task Build_push_names_in_its_metadata_the_digest_the_registry_serves_with_gzip_layers()
    {
        using var temp = new TempDirectory();
        await using var registry = await RegistryProcess.StartAsync();
        var (builder, context) = await BusyboxContextAsync(temp, "FROM busybox\nRUN echo built > /built\n");
        var metadata = temp.Combine("metadata.json");
        var name = $"{registry.Host}/pushed/app:1";

        (await builder.RunAsync("build", "-t", name, "--push", "--metadata-file", metadata, context)).EnsureSuccess("builder build --push");

        var inspect = JsonNode.Parse((await ExternalTool.RunAsync("skopeo", ["inspect", "--tls-verify=false", $"docker://{name}"])).EnsureSuccess("skopeo inspect").Out)!;
        Assert.Equal((string?)inspect["Digest"], (string?)JsonNode.Parse(await File.ReadAllTextAsync(metadata))!["containerimage.digest"]);
        var raw = JsonNode.Parse((await ExternalTool.RunAsync("skopeo", ["inspect", "--tls-verify=false", "--raw", $"docker://{name}"])).EnsureSuccess("skopeo inspect --raw").Out)!;
        Assert.All(raw["layers"]!.AsArray(), l => Assert.Equal("application/vnd.oci.image.layer.v1.tar+gzip", (string?)l!["mediaType"]));
    }

    [Fact]
    public async Task Prune_removes_the_blobs_and_extracted_layers_of_a_removed_image_and_keeps_the_base()
    {
        using var temp = new TempDirectory();
        var (builder, context) = await BusyboxContextAsync(temp, "FROM busybox\nRUN echo one > /one\nRUN echo two > /two\n");
        (await builder.RunAsync("build", "-t", "app", context)).EnsureSuccess("builder build");
        var extracted = temp.Combine("store", "sandbox", "layers");
        var before = Directory.GetDirectories(extracted).Length;
        (await builder.RunAsync("rmi", "app")).EnsureSuccess("rmi");

        var prune = await builder.RunAsync("prune");

        prune.EnsureSuccess("prune");
        Assert.Contains("2 extracted layers", prune.Out);
        Assert.Equal(before - 2, Directory.GetDirectories(extracted).Length);
        (await builder.RunAsync("build", "-t", "again", context)).EnsureSuccess("a build after prune");
    }

    [Fact]
    public async Task Prune_removes_the_context_stat_cache_and_the_next_build_hashes_the_context_again()
    {
        using var temp = new TempDirectory();
        var (builder, context) = await BusyboxContextAsync(temp, "FROM busybox\nCOPY app.txt /app.txt\n");
        await File.WriteAllTextAsync(Path.Combine(context, "app.txt"), "app\n");
        (await builder.RunAsync("build", "-t", "app", context)).EnsureSuccess("builder build");
        var statCache = temp.Combine("store", "cache", "context-stat-cache");
        Assert.True(File.Exists(statCache));
        await File.WriteAllTextAsync(statCache + ".json", "{}"); // as a store from before the binary form has it

        (await builder.RunAsync("prune")).EnsureSuccess("prune");

        Assert.False(File.Exists(statCache));
        Assert.False(File.Exists(statCache + ".json"));
        (await builder.RunAsync("build", "--no-cache", "-t", "app", context)).EnsureSuccess("a build after prune");
        Assert.True(File.Exists(statCache));
    }

    [Fact]
    public async Task Two_builds_with_SOURCE_DATE_EPOCH_in_different_directories_give_the_same_digest()
    {
        var digests = new List<string>();
        foreach (var _ in new[] { 1, 2 })
        {
            using var temp = new TempDirectory();
            // The same inputs: the base imported the same way, the same Dockerfile and context, only the directories differ.
            var epoch = new Dictionary<string, string> { ["SOURCE_DATE_EPOCH"] = "0" };
            var (builder, context) = await BusyboxContextAsync(temp, "FROM busybox\nCOPY app.txt /app/\nRUN echo run > /run.txt && mkdir -p /data\nENV A=1\n", epoch);
            await File.WriteAllTextAsync(Path.Combine(context, "app.txt"), "same content\n");
            File.SetLastWriteTimeUtc(Path.Combine(context, "app.txt"), DateTime.UtcNow.AddMinutes(digests.Count));
            var metadata = temp.Combine("metadata.json");

            (await builder.RunAsync(["build", "-t", "repro", "--metadata-file", metadata, context], epoch, CancellationToken.None))
                .EnsureSuccess("builder build");
            digests.Add((string)JsonNode.Parse(await File.ReadAllTextAsync(metadata))!["containerimage.digest"]!);
        }

        Assert.Equal(digests[0], digests[1]);
    }

    [Fact]
    public async Task A_failed_RUN_names_the_line_the_command_and_its_exit_code_and_tags_nothing()
    {
        using var temp = new TempDirectory();
        var (builder, context) = await BusyboxContextAsync(temp, "FROM busybox\nRUN echo ok\nRUN echo about to fail && echo oops >&2 && exit 7\n");

        var build = await builder.RunAsync("build", "-t", "broken", "--progress", "quiet", context);

        Assert.Equal(1, build.ExitCode);
        Assert.Contains("Dockerfile:3: RUN failed: process \"/bin/sh -c echo about to fail && echo oops >&2 && exit 7\" did not complete successfully: exit code: 7", build.Error);
        Assert.Contains("> oops", build.Error);
        Assert.DoesNotContain("broken", (await builder.RunAsync("images")).Out);
    }

    [Fact]
    public async Task A_bad_Dockerfile_is_reported_with_file_line_and_column()
    {
        using var temp = new TempDirectory();
        var (builder, context) = await BusyboxContextAsync(temp, "FROM busybox\nCOPY --bogus=1 a /a\n");

        var build = await builder.RunAsync("build", context);

        Assert.Equal(1, build.ExitCode);
        Assert.StartsWith("error: Dockerfile:2:", build.Error.Trim());
        Assert.Contains("bogus", build.Error);
    }

    [Fact]
    public async Task A_rebuild_with_nothing_changed_is_all_cached_and_a_changed_file_reruns_only_what_follows()
    {
        using var temp = new TempDirectory();
        var (builder, context) = await BusyboxContextAsync(temp, "FROM busybox\nRUN echo deps > /deps\nCOPY app.txt /app/\nRUN cat /app/app.txt > /copy\n");
        await File.WriteAllTextAsync(Path.Combine(context, "app.txt"), "v1\n");
        (await builder.RunAsync("build", "-t", "c", "--progress", "plain", context)).EnsureSuccess("first build");

        var again = await builder.RunAsync("build", "-t", "c", "--progress", "plain", context);
        await File.WriteAllTextAsync(Path.Combine(context, "app.txt"), "v2\n");
        var changed = await builder.RunAsync("build", "-t", "c", "--progress", "plain", context);
        var output = await builder.RunAsync("run", "c", "cat", "/copy");

        again.EnsureSuccess("no-op rebuild");
        Assert.Equal(3, again.Error.Split('\n').Count(l => l.EndsWith(" CACHED", StringComparison.Ordinal)));
        changed.EnsureSuccess("rebuild after a change");
        Assert.Equal(1, changed.Error.Split('\n').Count(l => l.EndsWith(" CACHED", StringComparison.Ordinal)));
        Assert.Equal("v2\n", output.Out);
    }

    [Fact]
    public async Task A_COPY_rebuilt_from_its_previous_layer_gives_a_full_builds_image_and_the_next_RUN_sees_exactly_the_new_files()
    {
        const string dockerfile = "FROM busybox AS copied\nCOPY tree /ctx\nFROM copied AS listed\nRUN cd /ctx && find . | sort > /list && cat $(find . -type f | sort) > /all\n";
        var epoch = new Dictionary<string, string> { ["SOURCE_DATE_EPOCH"] = "0" };
        void Version1(string tree)
        {
            Directory.CreateDirectory(Path.Combine(tree, "sub"));
            File.WriteAllText(Path.Combine(tree, "a"), "a1\n");
            File.WriteAllText(Path.Combine(tree, "b"), new string('b', 100_000) + "\n");
            File.WriteAllText(Path.Combine(tree, "sub", "c"), "c\n");
            File.WriteAllText(Path.Combine(tree, "gone"), "gone\n");
            File.WriteAllText(Path.Combine(tree, "same"), "same\n");
        }
        void Version2(string tree)
        {
            File.WriteAllText(Path.Combine(tree, "a"), "a2, longer\n");
            File.Move(Path.Combine(tree, "sub", "c"), Path.Combine(tree, "sub", "renamed"));
            File.Delete(Path.Combine(tree, "gone"));
            File.WriteAllText(Path.Combine(tree, "added"), "added\n");
            File.SetUnixFileMode(Path.Combine(tree, "b"), (UnixFileMode)0b111_101_101);
        }
        async Task<string> BuildAsync(BuilderCommand builder, string context, string target)
        {
            var metadata = Path.Combine(context, "..", "metadata.json");
            (await builder.RunAsync(["build", "--target", target, "-t", target, "--metadata-file", metadata, context], epoch, CancellationToken.None))
                .EnsureSuccess("builder build " + target);
            return (string)JsonNode.Parse(await File.ReadAllTextAsync(metadata))!["containerimage.digest"]!;
        }

        using var full = new TempDirectory();
        var (fresh, freshContext) = await BusyboxContextAsync(full, dockerfile, epoch);
        Version1(Path.Combine(freshContext, "tree"));
        Version2(Path.Combine(freshContext, "tree"));
        var expected = await BuildAsync(fresh, freshContext, "copied");

        using var temp = new TempDirectory();
        var (builder, context) = await BusyboxContextAsync(temp, dockerfile, epoch);
        var tree = Path.Combine(context, "tree");
        Version1(tree);
        await BuildAsync(builder, context, "copied");
        var layers = temp.Combine("store", "sandbox", "layers");
        var sameBefore = await InodesAsync(layers, "*/ctx/same");
        Version2(tree);
        var incremental = await BuildAsync(builder, context, "copied");
        await BuildAsync(builder, context, "listed");
        var list = await builder.RunAsync("run", "listed", "cat", "/list");
        var all = await builder.RunAsync("run", "listed", "cat", "/all");
        // Only "same" is unchanged (b's mode changed, sub/c was renamed): the previous extracted copy, which nothing
        // else held, became the new one, "same" kept in place and everything else brought up to date.
        var sameAfter = await InodesAsync(layers, "*/ctx/same");

        Assert.Equal(expected, incremental);
        Assert.Equal(".\n./a\n./added\n./b\n./same\n./sub\n./sub/renamed\n", list.EnsureSuccess("run").Out);
        Assert.Equal("a2, longer\nadded\n" + new string('b', 100_000) + "\nsame\nc\n", all.EnsureSuccess("run").Out);
        Assert.Single(sameBefore);
        Assert.Equal(sameBefore, sameAfter);

        // With the previous layer's image gone and the store pruned, the rebuild writes the layer in full.
        (await builder.RunAsync("rmi", "copied")).EnsureSuccess("rmi copied");
        (await builder.RunAsync("rmi", "listed")).EnsureSuccess("rmi listed");
        (await builder.RunAsync("prune")).EnsureSuccess("prune");
        Assert.Equal(expected, await BuildAsync(builder, context, "copied"));
    }

    private static async Task<List<string>> InodesAsync(string directory, string pathPattern)
    {
        var find = await ExternalTool.RunAsync("find", [directory, "-path", pathPattern, "-printf", "%i\n"]);
        return [.. find.EnsureSuccess("find").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    [Fact]
    public async Task Secrets_and_cache_mounts_leave_nothing_in_the_image_and_the_cache_persists_to_the_next_build()
    {
        using var temp = new TempDirectory();
        var secret = temp.Combine("token.txt");
        await File.WriteAllTextAsync(secret, "s3cret-value");
        var (builder, context) = await BusyboxContextAsync(temp,
            "FROM busybox\nRUN --mount=type=secret,id=token --mount=type=cache,target=/var/cache/app cat /run/secrets/token > /dev/null && date +%s%N >> /var/cache/app/runs && wc -l < /var/cache/app/runs > /runs-seen\n");
        var layout = temp.Combine("oci");

        (await builder.RunAsync("build", "-t", "s", "--secret", $"id=token,src={secret}", "--output", $"type=oci,dest={layout},tar=false", context)).EnsureSuccess("first build");
        (await builder.RunAsync("build", "--no-cache", "-t", "s", "--secret", $"id=token,src={secret}", context)).EnsureSuccess("second build");
        var seen = await builder.RunAsync("run", "s", "cat", "/runs-seen");

        Assert.Equal("2", seen.Out.Trim());
        foreach (var blob in Directory.EnumerateFiles(Path.Combine(layout, "blobs", "sha256")))
        {
            var text = await ExternalTool.RunAsync("sh", ["-c", $"(zcat -f {blob} 2>/dev/null || cat {blob}) | grep -c s3cret-value || true"]);
            Assert.Equal("0", text.Out.Trim());
        }
        var summary = await ImageSummary.OfLayoutAsync(layout, "latest");
        Assert.DoesNotContain(summary["fs"]!.AsObject(), entry => entry.Key.StartsWith("/run/secrets", StringComparison.Ordinal) || entry.Key.StartsWith("/var/cache", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ADD_of_a_URL_is_downloaded_checked_against_its_checksum_and_kept_0600()
    {
        using var temp = new TempDirectory();
        var served = Directory.CreateDirectory(temp.Combine("served")).FullName;
        await File.WriteAllTextAsync(Path.Combine(served, "tool.txt"), "downloaded\n");
        var port = RegistryProcess.FreePort();
        using var server = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("python3", ["-m", "http.server", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1"])
            { WorkingDirectory = served, RedirectStandardError = true, RedirectStandardOutput = true })!;
        try
        {
            using (var http = new HttpClient())
            {
                for (var i = 0; i < 50; i++)
                {
                    try { (await http.GetAsync($"http://127.0.0.1:{port}/tool.txt")).Dispose(); break; } catch (HttpRequestException) { await Task.Delay(100); }
                }
            }
            var sum = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("downloaded\n"u8));
            var (builder, context) = await BusyboxContextAsync(temp, $"FROM busybox\nADD --checksum={sum} http://127.0.0.1:{port}/tool.txt /opt/\n");

            var good = await builder.RunAsync("build", "-t", "added", context);
            await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), $"FROM busybox\nADD --checksum=sha256:{new string('0', 64)} http://127.0.0.1:{port}/tool.txt /opt/\n");
            var bad = await builder.RunAsync("build", "-t", "bad", context);
            var seen = await builder.RunAsync("run", "added", "sh", "-c", "cat /opt/tool.txt; stat -c %a /opt/tool.txt");

            good.EnsureSuccess("ADD with the right checksum");
            Assert.Equal("downloaded\n600\n", seen.Out);
            Assert.Equal(1, bad.ExitCode);
            Assert.Contains("digest mismatch", bad.Error);
        }
        finally
        {
            server.Kill();
        }
    }

    [Fact]
    public async Task Without_overlayfs_the_copy_snapshotter_builds_the_same_image_and_says_so_once()
    {
        using var temp = new TempDirectory();
        var (builder, context) = await BusyboxContextAsync(temp, "FROM busybox\nRUN mkdir /a && echo 1 > /a/f && rm /etc/group\nRUN echo 2 >> /a/f && rm -rf /home\n");
        var copy = new Dictionary<string, string> { ["BUILDER_SNAPSHOTTER"] = "copy" };

        var build = await builder.RunAsync(["build", "-t", "copied", "--progress", "plain", context], copy, CancellationToken.None);
        var seen = await builder.RunAsync(["run", "copied", "sh", "-c", "cat /a/f; ls /etc/group /home 2>&1 | wc -l"], copy, CancellationToken.None);

        build.EnsureSuccess("build with the copy snapshotter");
        Assert.Equal(1, build.Error.Split('\n').Count(l => l.Contains("using the copy snapshotter", StringComparison.Ordinal)));
        Assert.Equal(["1", "2", "2"], seen.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Debian_apt_install_works_in_a_step_as_an_unprivileged_user_with_real_owners_in_the_layer()
    {
        using var temp = new TempDirectory();
        var user = await TestUser.EnsureAsync();
        var debian = await BaseRootfs.DebianAsync();
        // The cached Debian tree is root's (its /root is 0700): root imports it, then the store is handed to the user.
        (await new BuilderCommand(temp.Combine("store")).RunAsync("import", debian, "-t", "debian:minbase")).EnsureSuccess("import Debian");
        var builder = new BuilderCommand(await TestUser.OwnedDirectoryAsync(temp, "store")) { User = user };
        await TestUser.OwnedDirectoryAsync(temp, "home-" + user);
        var context = await TestUser.OwnedDirectoryAsync(temp, "context");
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"),
            "FROM debian:minbase\nRUN apt-get update && apt-get install -y --no-install-recommends cowsay && rm -rf /var/lib/apt/lists/* && mkdir /srv/owned && chown _apt /srv/owned\n");
        var layout = Path.Combine(await TestUser.OwnedDirectoryAsync(temp, "out"), "oci");

        var build = await builder.RunAsync("build", "-t", "apt", "--progress", "plain", "--output", $"type=oci,dest={layout},tar=false", context);

        build.EnsureSuccess("apt-get install as " + user);
        var summary = await ImageSummary.OfLayoutAsync(layout, "latest");
        var fs = summary["fs"]!.AsObject();
        Assert.True(fs.ContainsKey("/usr/games/cowsay"), "cowsay is not in the image");
        Assert.Equal(0, (int)fs["/usr/games/cowsay"]!["uid"]!);
        // Ids other than root survive too: apt's sandbox user (_apt, uid 42) owns what the step gave it.
        Assert.Equal(42, (int)fs["/srv/owned"]!["uid"]!);
        // The user can delete what the step made (files of subordinate ids): prune works in the same namespace.
        (await builder.RunAsync("rmi", "debian:minbase")).EnsureSuccess("rmi"); // the build went to --output only
        var prune = await builder.RunAsync("prune");
        prune.EnsureSuccess("prune as " + user);
        Assert.Empty(Directory.GetDirectories(Path.Combine(builder.Root, "sandbox", "layers")));
    }
}
