using System.Text.Json.Nodes;
using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests.RemoteCache;

/// <summary>
/// Issue 16's acceptance for steps: runners, each with its own empty BUILDER_ROOT, share a build cache through the real
/// docker-registry (or an OCI layout directory). A RUN writes a random value, so a step that ran again is seen in the
/// image; SOURCE_DATE_EPOCH makes two runners' configs comparable, so equal image IDs mean equal config and diffIDs.
/// </summary>
public sealed class RemoteCacheTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private const string Random = "head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n'";

    /// <summary>Two stages; the build stage reads a.txt, the final one b.txt after a RUN that reads no context file.</summary>
    private static string MultiStage(string from) => $"""
        FROM {from} AS build
        COPY a.txt /a.txt
        RUN {Random} > /build-random
        FROM {from}
        RUN {Random} > /first-random
        COPY b.txt /b.txt
        RUN {Random} > /second-random
        COPY --from=build /build-random /a.txt /from-build/
        """;

    [Fact]
    public async Task A_fresh_runner_builds_from_the_registry_cache_without_running_a_step_and_gets_the_same_image()
    {
        await using var setup = await Setup.StartAsync();
        var a = setup.Runner("a");
        var b = setup.Runner("b");
        var context = await setup.ContextAsync("context", MultiStage(setup.Base));
        var cache = $"{setup.Registry.Host}/cache/app";

        (await a.BuildAsync(context, "--cache-to", $"type=registry,ref={cache}:ci,mode=max")).EnsureSuccess("runner A");
        var metadata = setup.Temp.Combine("b-metadata.json");
        var build = (await b.BuildAsync(context, "--cache-from", $"type=registry,ref={cache}:ci", "--metadata-file", metadata)).EnsureSuccess("runner B");

        Assert.Equal(await a.ImageIdAsync(), await b.ImageIdAsync());
        Assert.Equal(await a.FileAsync("/first-random"), await b.FileAsync("/first-random"));
        Assert.Equal(await a.FileAsync("/second-random"), await b.FileAsync("/second-random"));
        Assert.Equal(await a.FileAsync("/from-build/build-random"), await b.FileAsync("/from-build/build-random"));
        // Every layer step of both stages came from the registry: 2 in the build stage, 4 in the final one.
        Assert.Equal(6, CountLines(build.Error, "CACHED (registry)"));
        Assert.DoesNotContain("WARNING", build.Error);
        var hits = JsonNode.Parse(await File.ReadAllTextAsync(metadata))!["builder.cache-hits"]!.AsArray();
        Assert.Equal(6, hits.Count);
        Assert.All(hits, h => Assert.Equal("registry", (string?)h!["source"]));
        Assert.Contains(hits, h => ((string)h!["step"]!).Contains("RUN head"));
        Assert.All(hits, h => Assert.StartsWith("sha256:", (string?)h!["key"]));
    }

    [Fact]
    public async Task A_changed_context_file_reruns_only_the_steps_from_the_first_that_reads_it()
    {
        await using var setup = await Setup.StartAsync();
        var a = setup.Runner("a");
        var b = setup.Runner("b");
        var context = await setup.ContextAsync("context", MultiStage(setup.Base));
        var cache = $"{setup.Registry.Host}/cache/app";
        (await a.BuildAsync(context, "--cache-to", $"type=registry,ref={cache},mode=max")).EnsureSuccess("runner A");
        await File.WriteAllTextAsync(Path.Combine(context, "b.txt"), "changed on B\n");

        var build = (await b.BuildAsync(context, "--cache-from", cache)).EnsureSuccess("runner B");

        Assert.Equal(await a.FileAsync("/first-random"), await b.FileAsync("/first-random"));
        Assert.Equal(await a.FileAsync("/from-build/build-random"), await b.FileAsync("/from-build/build-random"));
        Assert.NotEqual(await a.FileAsync("/second-random"), await b.FileAsync("/second-random"));
        Assert.Equal("changed on B\n", await b.FileAsync("/b.txt"));
        // The build stage's two steps and the first RUN; COPY b.txt, the RUN after it and COPY --from ran.
        Assert.Equal(3, CountLines(build.Error, "CACHED (registry)"));
    }

    [Fact]
    public async Task Two_runners_exporting_different_builds_to_one_ref_at_once_both_give_a_third_runner_hits()
    {
        await using var setup = await Setup.StartAsync();
        var one = await setup.ContextAsync("one", $"FROM {setup.Base}\nCOPY a.txt /a.txt\nRUN {Random} > /one\n");
        var two = await setup.ContextAsync("two", $"FROM {setup.Base}\nCOPY b.txt /b.txt\nRUN {Random} > /two\n");
        var cache = $"type=registry,ref={setup.Registry.Host}/cache/shared:main";
        var (a, b, c) = (setup.Runner("a"), setup.Runner("b"), setup.Runner("c"));

        var exports = await Task.WhenAll(a.BuildAsync(one, "--cache-to", cache), b.BuildAsync(two, "--cache-to", cache));
        exports[0].EnsureSuccess("runner A");
        exports[1].EnsureSuccess("runner B");

        var first = (await c.BuildAsync(one, "--cache-from", cache)).EnsureSuccess("runner C, build one");
        Assert.Equal(await a.FileAsync("/one"), await c.FileAsync("/one"));
        var second = (await c.BuildAsync(two, "--cache-from", cache)).EnsureSuccess("runner C, build two");
        Assert.Equal(await b.FileAsync("/two"), await c.FileAsync("/two"));
        Assert.Equal(2, CountLines(first.Error, "CACHED (registry)"));
        Assert.Equal(2, CountLines(second.Error, "CACHED (registry)"));
    }

    [Fact]
    public async Task Skopeo_reads_every_entry_the_cache_wrote_and_the_cache_repository_holds_no_base_layer()
    {
        await using var setup = await Setup.StartAsync();
        var context = await setup.ContextAsync("context", MultiStage(setup.Base));
        var repository = "cache/app";
        (await setup.Runner("a").BuildAsync(context, "--cache-to", $"type=registry,ref={setup.Registry.Host}/{repository}:ci,mode=max"))
            .EnsureSuccess("runner A");

        var tags = await setup.TagsAsync(repository);
        Assert.Equal(6, tags.Count(t => t.StartsWith("ci-", StringComparison.Ordinal)));
        foreach (var tag in tags)
        {
            var raw = (await ExternalTool.RunAsync("skopeo", ["inspect", "--tls-verify=false", "--raw", $"docker://{setup.Registry.Host}/{repository}:{tag}"]))
                .EnsureSuccess($"skopeo inspect --raw {tag}").Out;
            var manifest = JsonNode.Parse(raw)!;
            Assert.Equal("application/vnd.oci.image.manifest.v1+json", (string?)manifest["mediaType"]);
            Assert.Equal("application/vnd.builder.cache.step.v1", (string?)manifest["artifactType"]);
            Assert.Equal("application/vnd.oci.empty.v1+json", (string?)manifest["config"]!["mediaType"]);
            Assert.StartsWith("sha256:", (string?)manifest["annotations"]!["dev.builder.cache.key"]);
        }
        var cacheBlobs = setup.RepositoryLayers(repository);
        var baseLayers = await setup.BaseLayersAsync();
        Assert.NotEmpty(cacheBlobs);
        Assert.Empty(cacheBlobs.Intersect(baseLayers));
    }

    [Fact]
    public async Task A_missing_cache_ref_is_a_warning_and_the_build_runs_uncached()
    {
        await using var setup = await Setup.StartAsync();
        var context = await setup.ContextAsync("context", MultiStage(setup.Base));

        var build = (await setup.Runner("b").BuildAsync(context, "--cache-from", $"type=registry,ref={setup.Registry.Host}/cache/none"))
            .EnsureSuccess("build with a missing cache");

        Assert.Equal(0, CountLines(build.Error, "CACHED"));
        Assert.Contains($"WARNING: cache {setup.Registry.Host}/cache/none: none of the steps was in it", build.Error);
    }

    [Fact]
    public async Task An_unreachable_or_unauthorised_cache_is_one_warning_and_the_build_runs_uncached()
    {
        await using var setup = await Setup.StartAsync();
        await using var locked = await RegistryProcess.StartWithBasicAuthAsync("alice", "s3cret");
        var context = await setup.ContextAsync("context", MultiStage(setup.Base));
        var closed = $"127.0.0.1:{RegistryProcess.FreePort()}/cache/app";

        var build = (await setup.Runner("b").BuildAsync(context, "--cache-from", $"{locked.Host}/cache/app", "--cache-from", closed,
            "--cache-to", $"type=registry,ref={locked.Host}/cache/app")).EnsureSuccess("build with unusable caches");

        log.WriteLine(build.Error);
        Assert.Equal(0, CountLines(build.Error, "CACHED"));
        Assert.Equal(1, CountLines(build.Error, $"WARNING: cache {locked.Host}/cache/app:", "building without it"));
        Assert.Equal(1, CountLines(build.Error, $"WARNING: cache {closed}:", "building without it"));
        Assert.Equal(1, CountLines(build.Error, $"WARNING: cache {locked.Host}/cache/app:", "not exported"));
    }

    [Fact]
    public async Task A_corrupted_blob_in_the_registry_is_a_warning_and_its_step_runs_again()
    {
        await using var setup = await Setup.StartAsync();
        var context = await setup.ContextAsync("context", $"FROM {setup.Base}\nRUN {Random} > /first-random\n");
        var a = setup.Runner("a");
        var b = setup.Runner("b");
        var cache = $"{setup.Registry.Host}/cache/app";
        (await a.BuildAsync(context, "--cache-to", $"type=registry,ref={cache}")).EnsureSuccess("runner A");
        var flipped = setup.CorruptBlobsOf("cache/app", await setup.BaseLayersAsync());
        Assert.Equal(1, flipped);

        var build = (await b.BuildAsync(context, "--cache-from", cache)).EnsureSuccess("runner B");

        log.WriteLine(build.Error);
        Assert.NotEqual(await a.FileAsync("/first-random"), await b.FileAsync("/first-random"));
        Assert.Equal(0, CountLines(build.Error, "CACHED"));
        Assert.Equal(1, CountLines(build.Error, $"WARNING: cache {cache}: entry sha256:", "digest mismatch", "the step is built instead"));
        Assert.Equal(1, CountLines(build.Error, "WARNING"));
    }

    [Fact]
    public async Task A_local_directory_cache_round_trips_between_runners()
    {
        await using var setup = await Setup.StartAsync();
        var context = await setup.ContextAsync("context", MultiStage(setup.Base));
        var directory = setup.Temp.Combine("ci-cache");
        var a = setup.Runner("a");
        var b = setup.Runner("b");

        (await a.BuildAsync(context, "--cache-to", $"type=local,dest={directory}")).EnsureSuccess("runner A");
        var build = (await b.BuildAsync(context, "--cache-from", $"type=local,src={directory}")).EnsureSuccess("runner B");

        Assert.Equal(await a.ImageIdAsync(), await b.ImageIdAsync());
        Assert.Equal(await a.FileAsync("/second-random"), await b.FileAsync("/second-random"));
        // mode=min: the final stage's four steps; the build stage's are not exported, so B runs them.
        Assert.Equal(4, CountLines(build.Error, "CACHED (local)"));
        Assert.True(File.Exists(Path.Combine(directory, "index.json")));
    }

    private static int CountLines(string text, params string[] fragments) =>
        text.Split('\n').Count(line => fragments.All(f => line.Contains(f, StringComparison.Ordinal)));

    /// <summary>A registry holding the busybox base, a temp directory, and runners with their own empty stores.</summary>
    [Fact]
    public async Task Cache_ls_lists_the_exported_entries_and_prune_keep_duration_0s_deletes_them_through_the_registry()
    {
        await using var setup = await Setup.StartAsync();
        var context = await setup.ContextAsync("context", MultiStage(setup.Base));
        var cache = $"{setup.Registry.Host}/cache/app:ci";
        var runner = setup.Runner("a");
        (await runner.BuildAsync(context, "--cache-to", $"type=registry,ref={cache},mode=max")).EnsureSuccess("runner A");

        var listed = (await runner.RunAsync("cache", "ls", cache)).EnsureSuccess("cache ls").Out;
        Assert.Equal(6, CountLines(listed, "step "));
        Assert.Contains("RUN /bin/sh -c head", listed);
        var kept = (await runner.RunAsync("cache", "prune", cache, "--keep-duration", "168h")).EnsureSuccess("cache prune 168h").Out;
        Assert.StartsWith("Deleted 0 cache entries", kept);

        var pruned = (await runner.RunAsync("cache", "prune", cache, "--keep-duration", "0s")).EnsureSuccess("cache prune 0s").Out;

        Assert.StartsWith("Deleted 6 cache entries", pruned);
        Assert.DoesNotContain(await setup.TagsAsync("cache/app"), t => t.StartsWith("ci-", StringComparison.Ordinal));
        Assert.Equal(0, CountLines((await runner.RunAsync("cache", "ls", cache)).EnsureSuccess("cache ls after prune").Out, "step "));
    }

    private sealed class Setup : IAsyncDisposable
    {
        private Setup(TempDirectory temp, RegistryProcess registry)
        {
            Temp = temp;
            Registry = registry;
        }

        public TempDirectory Temp { get; }

        public RegistryProcess Registry { get; }

        public string Base => $"{Registry.Host}/base/busybox:1";

        public static async Task<Setup> StartAsync()
        {
            var temp = new TempDirectory("builder-remote-cache");
            var registry = await RegistryProcess.StartAsync();
            var setup = new Setup(temp, registry);
            var seed = setup.Runner("seed");
            var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("busybox"));
            (await seed.RunAsync("import", rootfs, "-t", "busybox")).EnsureSuccess("builder import");
            (await seed.RunAsync("push", "busybox", setup.Base)).EnsureSuccess("push the base");
            return setup;
        }

        public Runner Runner(string name) => new(new BuilderCommand(Temp.Combine("runner-" + name)), Temp.Combine("docker-config"), Temp.Combine("out-" + name));

        public async Task<string> ContextAsync(string name, string dockerfile)
        {
            var context = Directory.CreateDirectory(Temp.Combine(name)).FullName;
            await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), dockerfile);
            await File.WriteAllTextAsync(Path.Combine(context, "a.txt"), "a\n");
            await File.WriteAllTextAsync(Path.Combine(context, "b.txt"), "b\n");
            return context;
        }

        public async Task<IReadOnlyList<string>> TagsAsync(string repository)
        {
            using var http = new HttpClient();
            var list = JsonNode.Parse(await http.GetStringAsync($"http://{Registry.Host}/v2/{repository}/tags/list"))!;
            // A repository whose tags were all deleted lists "tags": null.
            return [.. list["tags"]?.AsArray().Select(t => (string)t!) ?? []];
        }

        /// <summary>The layer digests of the base image as the registry serves it.</summary>
        public async Task<IReadOnlySet<string>> BaseLayersAsync()
        {
            var raw = (await ExternalTool.RunAsync("skopeo", ["inspect", "--tls-verify=false", "--raw", $"docker://{Base}"])).EnsureSuccess("skopeo inspect base").Out;
            return JsonNode.Parse(raw)!["layers"]!.AsArray().Select(l => (string)l!["digest"]!).ToHashSet();
        }

        /// <summary>The blobs linked into a repository (what the registry would serve from it), as digests.</summary>
        public IReadOnlySet<string> RepositoryLayers(string repository)
        {
            var links = Path.Combine(Registry.StorageDirectory, "docker", "registry", "v2", "repositories", repository, "_layers", "sha256");
            return Directory.Exists(links) ? Directory.EnumerateDirectories(links).Select(d => "sha256:" + Path.GetFileName(d)).ToHashSet() : new HashSet<string>();
        }

        /// <summary>Flips a byte in the middle of every layer blob of the repository (the empty config aside); returns how many.</summary>
        public int CorruptBlobsOf(string repository, IReadOnlySet<string> keep)
        {
            var count = 0;
            foreach (var digest in RepositoryLayers(repository).Except(keep))
            {
                var hex = digest["sha256:".Length..];
                var data = Path.Combine(Registry.StorageDirectory, "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data");
                var bytes = File.ReadAllBytes(data);
                if (bytes.Length <= 2)
                {
                    continue; // "{}", the empty descriptor
                }
                bytes[bytes.Length / 2] ^= 0xFF;
                File.WriteAllBytes(data, bytes);
                count++;
            }
            return count;
        }

        public async ValueTask DisposeAsync()
        {
            await Registry.DisposeAsync();
            Temp.Dispose();
        }
    }

    /// <summary>One CI runner: its own store, and the image it built last written out as files.</summary>
    private sealed class Runner(BuilderCommand command, string dockerConfig, string output)
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

        public async Task<ToolResult> RunAsync(params string[] args)
        {
            Directory.CreateDirectory(dockerConfig);
            using var limit = new CancellationTokenSource(Timeout);
            // SOURCE_DATE_EPOCH: two runners' configs and layers are then comparable byte for byte.
            return await command.RunAsync(args, new Dictionary<string, string> { ["DOCKER_CONFIG"] = dockerConfig, ["SOURCE_DATE_EPOCH"] = "0" }, limit.Token);
        }

        public Task<ToolResult> BuildAsync(string context, params string[] args)
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
            return RunAsync(["build", "-t", "app", "--progress", "plain", "--output", "type=image", "--output", $"type=local,dest={output}", .. args, context]);
        }

        public async Task<string> ImageIdAsync() =>
            JsonNode.Parse((await RunAsync("inspect", "app")).EnsureSuccess("builder inspect").Out)!["Id"]!.GetValue<string>();

        public Task<string> FileAsync(string path) => File.ReadAllTextAsync(Path.Combine(output, path.TrimStart('/')));
    }
}
