using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>
/// Acceptance of <c>builder push</c>, <c>pull</c>, <c>login</c> and <c>logout</c> against a real docker-registry:
/// what they print, what skopeo reads back, what the registry saw, and what they leave behind when the network
/// or the registry misbehaves. Every test has its own store and its own DOCKER_CONFIG; ~/.docker is never read.
/// </summary>
public sealed partial class RegistryTests
{
    private const string User = "alice";
    private const string Password = "s3cret";

    [Fact]
    public async Task Pushed_image_is_read_back_by_skopeo_with_the_digest_push_printed()
    {
        await using var registry = await RegistryProcess.StartAsync();
        using var temp = new TempDirectory();
        var builder = CliSession.For(temp);
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs"));
        (await builder.RunAsync("import", rootfs, "-t", "app:1")).EnsureSuccess("builder import");
        var local = await builder.InspectAsync("app:1");

        var push = (await builder.RunAsync("push", "app:1", $"{registry.Host}/app:1")).EnsureSuccess("builder push");

        var pushed = PushSummary.Parse(push);
        var manifest = await RawManifestAsync($"{registry.Host}/app:1");
        Assert.Equal("1", pushed.Tag);
        Assert.Equal(local.Digest, pushed.Digest);
        Assert.Equal(await InspectDigestAsync($"{registry.Host}/app:1"), pushed.Digest);
        Assert.Equal(manifest.Size, pushed.Size);
        Assert.Equal(manifest.Blobs.Select(Short).Order(), BlobLines(push).Keys.Order());
        Assert.All(BlobLines(push).Values, status => Assert.Equal("Pushed", status));

        var copy = temp.Combine("copied");
        (await ExternalTool.RunAsync("skopeo", ["copy", "--src-tls-verify=false", $"docker://{registry.Host}/app:1", $"oci:{copy}:1"]))
            .EnsureSuccess("skopeo copy");
        var index = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(copy, "index.json")))!;
        Assert.Equal(pushed.Digest, index["manifests"]![0]!["digest"]!.GetValue<string>());
    }

    [Fact]
    public async Task Image_pushed_by_skopeo_is_pulled_with_its_digest_and_listed()
    {
        await using var registry = await RegistryProcess.StartAsync();
        using var temp = new TempDirectory();
        var digest = await PushWithSkopeoAsync(temp, $"{registry.Host}/app:1");
        var builder = CliSession.For(temp, "pull-store");

        var pull = (await builder.RunAsync("pull", $"{registry.Host}/app:1")).EnsureSuccess("builder pull");

        AssertPullOutput(pull, digest, $"{registry.Host}/app:1");
        Assert.True(ListsImage(await builder.ImagesAsync(), $"{registry.Host}/app", "1"), "builder images does not list the pulled image");
        Assert.Equal(digest, (await builder.InspectAsync($"{registry.Host}/app:1")).Digest);
        (await builder.RunAsync("save", $"{registry.Host}/app:1", "--format", "oci", "-o", temp.Combine("pulled.tar"))).EnsureSuccess("builder save");
        Assert.Equal(digest, await InspectDigestAsync("oci-archive:" + temp.Combine("pulled.tar"), docker: false));
    }

    [Fact]
    public async Task Login_to_a_basic_auth_registry_stores_credentials_that_push_uses_and_logout_removes()
    {
        await using var registry = await RegistryProcess.StartWithBasicAuthAsync(User, Password);
        using var temp = new TempDirectory();
        var builder = CliSession.For(temp);
        await builder.WriteDockerConfigAsync("""{"auths":{"registry.example.com":{"auth":"b3RoZXI6b3RoZXI="}}}""");
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs"));
        (await builder.RunAsync("import", rootfs, "-t", $"{registry.Host}/app:1")).EnsureSuccess("builder import");

        var login = (await builder.LoginWithPasswordOnStdinAsync(registry.Host, User, Password)).EnsureSuccess("builder login --password-stdin");
        var auths = (await builder.ReadDockerConfigAsync())["auths"]!;
        var push = (await builder.RunAsync("push", $"{registry.Host}/app:1")).EnsureSuccess("builder push");
        var logout = (await builder.RunAsync("logout", registry.Host)).EnsureSuccess("builder logout");
        var afterLogout = (await builder.ReadDockerConfigAsync())["auths"]!.AsObject();

        Assert.Contains("Login Succeeded", login.Out);
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")), auths[registry.Host]?["auth"]?.GetValue<string>());
        Assert.Equal(await InspectDigestAsync($"{registry.Host}/app:1", credentials: $"{User}:{Password}"), PushSummary.Parse(push).Digest);
        Assert.Equal(0, logout.ExitCode);
        Assert.False(afterLogout.ContainsKey(registry.Host), "logout left the registry's entry in config.json");
        Assert.Equal("b3RoZXI6b3RoZXI=", afterLogout["registry.example.com"]?["auth"]?.GetValue<string>());
    }

    [Fact]
    public async Task Login_with_a_wrong_password_fails_as_unauthorized_and_leaves_docker_config_alone()
    {
        await using var registry = await RegistryProcess.StartWithBasicAuthAsync(User, Password);
        using var temp = new TempDirectory();
        var builder = CliSession.For(temp);
        await builder.WriteDockerConfigAsync("""{"auths":{"registry.example.com":{"auth":"b3RoZXI6b3RoZXI="}}}""");
        var before = await File.ReadAllBytesAsync(builder.DockerConfigFile);

        var login = await builder.RunAsync("login", registry.Host, "-u", User, "-p", "wrong");

        var message = AssertFailsWithOneMessage(login);
        Assert.Contains("unauthorized", message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(registry.Host, message);
        Assert.Equal(before, await File.ReadAllBytesAsync(builder.DockerConfigFile));
    }

    [Fact]
    public async Task Push_without_credentials_to_a_registry_that_wants_them_fails_naming_the_registry()
    {
        await using var registry = await RegistryProcess.StartWithBasicAuthAsync(User, Password);
        using var temp = new TempDirectory();
        var builder = CliSession.For(temp);
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs"));
        (await builder.RunAsync("import", rootfs, "-t", $"{registry.Host}/app:1")).EnsureSuccess("builder import");

        var push = await builder.RunAsync("push", $"{registry.Host}/app:1");

        var message = AssertFailsWithOneMessage(push);
        Assert.Contains(registry.Host, message);
        Assert.True(message.Contains("401", StringComparison.Ordinal) || message.Contains("unauthorized", StringComparison.OrdinalIgnoreCase),
            $"the message says neither 401 nor unauthorized: {message}");
        Assert.Empty(registry.StoredBlobs());
    }

    [Fact]
    public async Task Push_takes_credentials_from_the_BUILDER_REGISTRY_environment_variables()
    {
        await using var registry = await RegistryProcess.StartWithBasicAuthAsync(User, Password);
        using var temp = new TempDirectory();
        var builder = CliSession.For(temp, environment: new Dictionary<string, string>
        {
            ["BUILDER_REGISTRY_USERNAME"] = User,
            ["BUILDER_REGISTRY_PASSWORD"] = Password,
        });
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs"));
        (await builder.RunAsync("import", rootfs, "-t", $"{registry.Host}/app:1")).EnsureSuccess("builder import");

        var push = (await builder.RunAsync("push", $"{registry.Host}/app:1")).EnsureSuccess("builder push");

        Assert.Equal(await InspectDigestAsync($"{registry.Host}/app:1", credentials: $"{User}:{Password}"), PushSummary.Parse(push).Digest);
    }

    [Fact]
    public async Task Login_push_and_pull_work_against_a_token_server_that_grants_pull_and_push_scopes()
    {
        using var temp = new TempDirectory();
        await using var tokens = await TokenServer.StartAsync(temp.Path, User, Password);
        await using var registry = await RegistryProcess.StartAsync(tokens.RegistryConfig);
        var builder = CliSession.For(temp);
        var puller = CliSession.For(temp, "pull-store");
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs"));
        (await builder.RunAsync("import", rootfs, "-t", $"{registry.Host}/team/app:1")).EnsureSuccess("builder import");

        var login = (await builder.RunAsync("login", registry.Host, "-u", User, "-p", Password)).EnsureSuccess("builder login");
        var push = (await builder.RunAsync("push", $"{registry.Host}/team/app:1")).EnsureSuccess("builder push");
        var pull = (await puller.RunAsync("pull", $"{registry.Host}/team/app:1")).EnsureSuccess("builder pull");

        Assert.Contains("Login Succeeded", login.Out);
        var digest = PushSummary.Parse(push).Digest;
        AssertPullOutput(pull, digest, $"{registry.Host}/team/app:1");
        Assert.True(ListsImage(await puller.ImagesAsync(), $"{registry.Host}/team/app", "1"), "builder images does not list the pulled image");
        Assert.Contains(tokens.RequestedScopes, scope => IsRepositoryScope(scope, "team/app", "pull", "push"));
    }

    [Fact]
    public async Task Push_mounts_base_layers_from_the_base_repository_instead_of_uploading_them()
    {
        await using var registry = await RegistryProcess.StartAsync();
        using var temp = new TempDirectory();
        var builder = CliSession.For(temp);
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs"));
        (await builder.RunAsync("import", rootfs, "-t", $"{registry.Host}/base:1")).EnsureSuccess("builder import");
        (await builder.RunAsync("push", $"{registry.Host}/base:1")).EnsureSuccess("builder push base");
        var baseLayer = (await RawManifestAsync($"{registry.Host}/base:1")).Layers.Single();
        // app = base + one layer, loaded from an OCI layout as a build FROM base would leave it
        (await builder.RunAsync("save", $"{registry.Host}/base:1", "--format", "oci", "-o", temp.Combine("base.tar"))).EnsureSuccess("builder save");
        var layout = await ExtractAsync(temp.Combine("base.tar"), temp.Combine("layout"));
        await AddLayerAsync(layout, $"{registry.Host}/app:1", "app/hello.txt", "hello from app\n");
        (await builder.RunAsync("load", "-i", layout)).EnsureSuccess("builder load");

        var push = (await builder.RunAsync("push", $"{registry.Host}/app:1")).EnsureSuccess("builder push app");

        var app = await RawManifestAsync($"{registry.Host}/app:1");
        var lines = BlobLines(push);
        Assert.Equal(baseLayer, app.Layers[0]);
        Assert.Equal("Mounted from base", lines.GetValueOrDefault(Short(baseLayer)));
        Assert.Equal("Pushed", lines.GetValueOrDefault(Short(app.Layers[1])));
        Assert.Equal("Pushed", lines.GetValueOrDefault(Short(app.Config)));
        Assert.Equal(3, lines.Count);
        var hex = baseLayer["sha256:".Length..];
        Assert.True(registry.CountLogLines("/v2/app/blobs/uploads/", "mount=", hex, "from=base") > 0, $"no mount request for {baseLayer}:\n{registry.Log}");
        Assert.Equal(registry.CountLogLines("/v2/app/blobs/uploads/", "mount=", hex), registry.CountLogLines("/v2/app/blobs/uploads/", hex));
        using var http = new HttpClient();
        using var head = new HttpRequestMessage(HttpMethod.Head, $"http://{registry.Host}/v2/app/blobs/{baseLayer}");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(head)).StatusCode);
    }

    [Fact]
    public async Task Push_and_pull_of_a_100_MB_image_survive_dropped_connections_and_503s()
    {
        await using var registry = await RegistryProcess.StartAsync();
        await using var proxy = await FaultProxy.StartAsync(registry.Host, new FaultPlan(DropConnection: 0.2, ServiceUnavailable: 0.1));
        using var temp = new TempDirectory();
        var builder = CliSession.For(temp);
        var puller = CliSession.For(temp, "pull-store");
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs"));
        await WriteRandomFilesAsync(Path.Combine(rootfs, "data"), files: 10, bytesEach: 10 << 20, seed: 20261128);
        (await builder.RunAsync("import", rootfs, "-t", $"{proxy.Host}/big:1")).EnsureSuccess("builder import");

        var push = (await builder.RunAsync("push", $"{proxy.Host}/big:1")).EnsureSuccess("builder push through the fault proxy");
        var pull = (await puller.RunAsync("pull", $"{proxy.Host}/big:1")).EnsureSuccess("builder pull through the fault proxy");

        var digest = PushSummary.Parse(push).Digest;
        var manifest = await RawManifestAsync($"{registry.Host}/big:1");
        Assert.True(proxy.Dropped + proxy.Unavailable > 0, "the proxy injected no fault: the test proved nothing");
        Assert.Equal(await InspectDigestAsync($"{registry.Host}/big:1"), digest);
        Assert.Equal(manifest.Blobs.Append(digest).Order(), registry.StoredBlobs().Order());
        AssertPullOutput(pull, digest, $"{proxy.Host}/big:1");
        Assert.True(ListsImage(await puller.ImagesAsync(), $"{proxy.Host}/big", "1"), "builder images does not list the pulled image");
    }

    [Fact]
    public async Task Pull_of_corrupted_blobs_fails_on_the_digest_and_stores_nothing_of_the_image()
    {
        await using var registry = await RegistryProcess.StartAsync();
        await using var proxy = await FaultProxy.StartAsync(registry.Host, new FaultPlan(CorruptBlobBodies: true));
        using var temp = new TempDirectory();
        await PushWithSkopeoAsync(temp, $"{registry.Host}/app:1");
        var manifest = await RawManifestAsync($"{registry.Host}/app:1");
        var corrupted = manifest.Blobs.Select(d => CorruptedDigest(registry, d)).ToHashSet();
        var builder = CliSession.For(temp, "pull-store");

        var pull = await builder.RunAsync("pull", $"{proxy.Host}/app:1");

        var message = AssertFailsWithOneMessage(pull);
        Assert.Contains("digest", message, StringComparison.OrdinalIgnoreCase);
        Assert.False(ListsImage(await builder.ImagesAsync(), $"{proxy.Host}/app", "1"), "a failed pull left the image listed");
        foreach (var (path, digest) in StoreFiles(builder.Store))
        {
            Assert.DoesNotContain(digest, corrupted);
            if (path.Contains($"{Path.DirectorySeparatorChar}blobs{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                Assert.EndsWith(digest["sha256:".Length..], path); // every committed blob is what its name says
                Assert.DoesNotContain(digest, manifest.Blobs);
            }
        }
    }

    [Fact]
    public async Task Push_and_pull_to_an_unreachable_registry_give_up_within_a_minute_naming_it()
    {
        using var temp = new TempDirectory();
        var host = $"127.0.0.1:{RegistryProcess.FreePort()}"; // nobody listens there
        var pusher = CliSession.For(temp) with { Timeout = TimeSpan.FromSeconds(90) };
        var puller = CliSession.For(temp, "pull-store") with { Timeout = TimeSpan.FromSeconds(90) };
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs"));
        (await pusher.RunAsync("import", rootfs, "-t", $"{host}/app:1")).EnsureSuccess("builder import");

        var push = TimedAsync(() => pusher.RunAsync("push", $"{host}/app:1"));
        var pull = TimedAsync(() => puller.RunAsync("pull", $"{host}/app:1"));
        await Task.WhenAll(push, pull);

        foreach (var (result, elapsed) in new[] { await push, await pull })
        {
            var message = AssertFailsWithOneMessage(result);
            Assert.Contains(host, message);
            Assert.True(elapsed < TimeSpan.FromSeconds(60), $"gave up only after {elapsed}");
        }
        Assert.False(ListsImage(await puller.ImagesAsync(), $"{host}/app", "1"), "a failed pull left the image listed");
    }

    // ---- the CLI as a test's user runs it -------------------------------------------------------------------

    /// <summary><c>builder</c> with a store and a DOCKER_CONFIG of the test's own (plus any extra environment).</summary>
    private sealed record CliSession(BuilderCommand Command, IReadOnlyDictionary<string, string> Environment)
    {
        public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(3);

        public string Store => Command.Root;

        public string DockerConfigFile => Path.Combine(Environment["DOCKER_CONFIG"], "config.json");

        /// <summary>Every session of one test shares its DOCKER_CONFIG (a login is seen by all); stores differ by name.</summary>
        public static CliSession For(TempDirectory temp, string store = "store", IReadOnlyDictionary<string, string>? environment = null)
        {
            var dockerConfig = temp.Combine("docker-config");
            Directory.CreateDirectory(dockerConfig);
            var all = new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["DOCKER_CONFIG"] = dockerConfig };
            return new CliSession(new BuilderCommand(temp.Combine(store)), all);
        }

        public async Task<ToolResult> RunAsync(params string[] args)
        {
            using var limit = new CancellationTokenSource(Timeout);
            return await Command.RunAsync(args, Environment, limit.Token);
        }

        /// <summary><c>builder login HOST -u USER --password-stdin</c> with the password piped in, as CI scripts do.</summary>
        public async Task<ToolResult> LoginWithPasswordOnStdinAsync(string host, string user, string password)
        {
            var environment = new Dictionary<string, string>(Environment)
            {
                ["BUILDER_ROOT"] = Store,
                ["BUILDER_DLL"] = BuilderCommand.Dll,
                ["LOGIN_HOST"] = host,
                ["LOGIN_USER"] = user,
                ["LOGIN_PASSWORD"] = password,
            };
            return await ExternalTool.RunAsync("sh",
                ["-c", """printf '%s\n' "$LOGIN_PASSWORD" | exec dotnet "$BUILDER_DLL" login "$LOGIN_HOST" -u "$LOGIN_USER" --password-stdin"""],
                environment: environment, timeout: Timeout);
        }

        public async Task<string> ImagesAsync() => (await RunAsync("images")).EnsureSuccess("builder images").Out;

        /// <summary>The manifest digest <c>builder inspect</c> shows for an image.</summary>
        public async Task<(string Digest, string Id)> InspectAsync(string image)
        {
            var json = JsonNode.Parse((await RunAsync("inspect", image)).EnsureSuccess("builder inspect").Out)!;
            return (json["Digest"]!.GetValue<string>(), json["Id"]!.GetValue<string>());
        }

        public async Task WriteDockerConfigAsync(string json) => await File.WriteAllTextAsync(DockerConfigFile, json);

        public async Task<JsonNode> ReadDockerConfigAsync() => JsonNode.Parse(await File.ReadAllTextAsync(DockerConfigFile))!;
    }

    // ---- what the CLI prints ------------------------------------------------------------------------------

    /// <summary>push's last line, as docker prints it: <c>TAG: digest: sha256:HEX size: N</c>.</summary>
    private sealed partial record PushSummary(string Tag, string Digest, long Size)
    {
        public static PushSummary Parse(ToolResult push)
        {
            var last = Lines(push.Out).LastOrDefault() ?? "";
            var match = SummaryLine().Match(last);
            Assert.True(match.Success, $"push did not end with 'TAG: digest: sha256:HEX size: N':\n{push.Out}");
            return new PushSummary(match.Groups["tag"].Value, match.Groups["digest"].Value, long.Parse(match.Groups["size"].Value, System.Globalization.CultureInfo.InvariantCulture));
        }

        [GeneratedRegex(@"^(?<tag>[\w][\w.-]*): digest: (?<digest>sha256:[0-9a-f]{64}) size: (?<size>\d+)$")]
        private static partial Regex SummaryLine();
    }

    /// <summary>push's per-blob lines: short digest → <c>Pushed</c>, <c>Layer already exists</c> or <c>Mounted from REPO</c>.</summary>
    private static Dictionary<string, string> BlobLines(ToolResult push) =>
        Lines(push.Out).Select(line => BlobLine().Match(line)).Where(m => m.Success)
            .GroupBy(m => m.Groups["short"].Value)
            .ToDictionary(g => g.Key, g => g.Last().Groups["status"].Value);

    [GeneratedRegex(@"^(?<short>[0-9a-f]{12}): (?<status>Pushed|Layer already exists|Mounted from \S+)$")]
    private static partial Regex BlobLine();

    /// <summary>pull's output ends like docker's: <c>Digest: …</c>, <c>Status: …</c>, then the full reference.</summary>
    private static void AssertPullOutput(ToolResult pull, string digest, string reference)
    {
        var lines = Lines(pull.Out);
        Assert.True(lines.Length >= 3, $"pull printed too little:\n{pull.Out}");
        Assert.Equal($"Digest: {digest}", lines[^3]);
        Assert.StartsWith("Status: ", lines[^2]);
        Assert.Equal(reference, lines[^1]);
    }

    /// <summary>Exit code 1 and one line on stderr (the message, returned for the test to check).</summary>
    private static string AssertFailsWithOneMessage(ToolResult result)
    {
        Assert.True(result.ExitCode == 1, $"expected exit code 1, got {result.ExitCode}:\n{result.Error}\n{result.Out}");
        return Assert.Single(Lines(result.Error));
    }

    private static bool ListsImage(string images, string repository, string tag) =>
        Lines(images).Skip(1).Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Any(columns => columns.Length >= 2 && columns[0] == repository && columns[1] == tag);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string Short(string digest) => digest["sha256:".Length..][..12];

    /// <summary>A token scope <c>repository:NAME:ACTIONS</c> for <paramref name="repository"/> granting all of <paramref name="actions"/>.</summary>
    private static bool IsRepositoryScope(string scope, string repository, params string[] actions) =>
        scope.StartsWith($"repository:{repository}:", StringComparison.Ordinal)
        && actions.All(scope[$"repository:{repository}:".Length..].Split(',').Contains);

    private static async Task<(ToolResult Result, TimeSpan Elapsed)> TimedAsync(Func<Task<ToolResult>> run)
    {
        var clock = Stopwatch.StartNew();
        var result = await run();
        return (result, clock.Elapsed);
    }

    // ---- the registry as independent tools see it ----------------------------------------------------------

    private sealed record RemoteManifest(string Config, IReadOnlyList<string> Layers, long Size)
    {
        public IEnumerable<string> Blobs => Layers.Prepend(Config);
    }

    /// <summary>The manifest a registry (without auth) serves for <c>HOST/REPO:TAG</c>, fetched with a plain HTTP client.</summary>
    private static async Task<RemoteManifest> RawManifestAsync(string reference)
    {
        var slash = reference.IndexOf('/', StringComparison.Ordinal);
        var colon = reference.LastIndexOf(':');
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"http://{reference[..slash]}/v2/{reference[(slash + 1)..colon]}/manifests/{reference[(colon + 1)..]}");
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        request.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"GET manifest {reference}: {(int)response.StatusCode}");
        var raw = await response.Content.ReadAsByteArrayAsync();
        var json = JsonNode.Parse(raw)!;
        return new RemoteManifest(
            json["config"]!["digest"]!.GetValue<string>(),
            json["layers"]!.AsArray().Select(l => l!["digest"]!.GetValue<string>()).ToList(),
            raw.Length);
    }

    private static async Task<string> InspectDigestAsync(string reference, bool docker = true, string? credentials = null)
    {
        List<string> args = ["inspect"];
        if (docker)
        {
            args.Add("--tls-verify=false");
        }
        if (credentials is not null)
        {
            args.Add("--creds=" + credentials);
        }
        args.Add(docker ? "docker://" + reference : reference);
        var output = (await ExternalTool.RunAsync("skopeo", args)).EnsureSuccess("skopeo inspect").Out;
        return JsonNode.Parse(output)!["Digest"]!.GetValue<string>();
    }

    /// <summary>Puts a busybox image into the registry with skopeo (not our push), returning its manifest digest.</summary>
    private static async Task<string> PushWithSkopeoAsync(TempDirectory temp, string reference)
    {
        var builder = CliSession.For(temp, "seed-store");
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("seed-rootfs"));
        (await builder.RunAsync("import", rootfs, "-t", "seed:1")).EnsureSuccess("builder import");
        (await builder.RunAsync("save", "seed:1", "--format", "oci", "-o", temp.Combine("seed.tar"))).EnsureSuccess("builder save");
        (await ExternalTool.RunAsync("skopeo", ["copy", "--dest-tls-verify=false", "oci-archive:" + temp.Combine("seed.tar"), "docker://" + reference]))
            .EnsureSuccess("skopeo copy");
        return await InspectDigestAsync(reference);
    }

    /// <summary>The digest of a registry blob with its first byte flipped, as the fault proxy serves it.</summary>
    private static string CorruptedDigest(RegistryProcess registry, string digest)
    {
        var hex = digest["sha256:".Length..];
        var bytes = File.ReadAllBytes(Path.Combine(registry.StorageDirectory, "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data"));
        bytes[0] ^= 0xFF;
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>Every file under a store (blobs, ingest leftovers, index) with the digest of its content.</summary>
    private static IEnumerable<(string Path, string Digest)> StoreFiles(string store)
    {
        if (!Directory.Exists(store))
        {
            yield break;
        }
        foreach (var file in Directory.EnumerateFiles(store, "*", SearchOption.AllDirectories))
        {
            using var stream = File.OpenRead(file);
            yield return (file, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(stream)));
        }
    }

    // ---- test images --------------------------------------------------------------------------------------

    private static async Task WriteRandomFilesAsync(string directory, int files, int bytesEach, int seed)
    {
        Directory.CreateDirectory(directory);
        var random = new Random(seed);
        var buffer = new byte[1 << 20];
        for (var i = 0; i < files; i++)
        {
            await using var file = File.Create(Path.Combine(directory, $"random-{i:D2}.bin"));
            for (var written = 0; written < bytesEach; written += buffer.Length)
            {
                random.NextBytes(buffer);
                await file.WriteAsync(buffer.AsMemory(0, Math.Min(buffer.Length, bytesEach - written)));
            }
        }
    }

    private static async Task<string> ExtractAsync(string tar, string directory)
    {
        Directory.CreateDirectory(directory);
        (await ExternalTool.RunAsync("tar", ["-xf", tar, "-C", directory])).EnsureSuccess("tar -x");
        return directory;
    }

    /// <summary>
    /// Rewrites the OCI layout's only image into a child image named <paramref name="name"/>: the same layers plus
    /// one holding <paramref name="path"/>, as a Dockerfile <c>FROM base</c> + <c>COPY</c> would make it.
    /// </summary>
    private static async Task AddLayerAsync(string layout, string name, string path, string content)
    {
        var indexPath = Path.Combine(layout, "index.json");
        var index = JsonNode.Parse(await File.ReadAllTextAsync(indexPath))!.AsObject();
        var parent = index["manifests"]!.AsArray().Single()!;
        var manifest = JsonNode.Parse(await File.ReadAllBytesAsync(BlobPath(layout, parent["digest"]!.GetValue<string>())))!.AsObject();
        var config = JsonNode.Parse(await File.ReadAllBytesAsync(BlobPath(layout, manifest["config"]!["digest"]!.GetValue<string>())))!.AsObject();

        var (layer, diffId) = GzipLayer(path, content);
        var layerDigest = await WriteBlobAsync(layout, layer);
        config["rootfs"]!["diff_ids"]!.AsArray().Add(diffId);
        if (config["history"] is JsonArray history)
        {
            history.Add(new JsonObject { ["created"] = "2026-01-01T00:00:00Z", ["created_by"] = $"COPY {Path.GetFileName(path)} /{Path.GetDirectoryName(path)}/" });
        }
        var configBytes = Encoding.UTF8.GetBytes(config.ToJsonString());
        manifest["config"]!["digest"] = await WriteBlobAsync(layout, configBytes);
        manifest["config"]!["size"] = configBytes.Length;
        manifest["layers"]!.AsArray().Add(new JsonObject
        {
            ["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip",
            ["digest"] = layerDigest,
            ["size"] = layer.Length,
        });
        var manifestBytes = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        index["manifests"] = new JsonArray(new JsonObject
        {
            ["mediaType"] = parent["mediaType"]!.GetValue<string>(),
            ["digest"] = await WriteBlobAsync(layout, manifestBytes),
            ["size"] = manifestBytes.Length,
            ["annotations"] = new JsonObject
            {
                ["org.opencontainers.image.ref.name"] = name[(name.LastIndexOf(':') + 1)..],
                ["io.containerd.image.name"] = name,
            },
        });
        await File.WriteAllTextAsync(indexPath, index.ToJsonString());
    }

    /// <summary>A gzip layer with one regular file (and its directory), and its diff ID.</summary>
    private static (byte[] Layer, string DiffId) GzipLayer(string path, string content)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var time = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, Path.GetDirectoryName(path) + "/")
            {
                Mode = (UnixFileMode)Convert.ToInt32("755", 8),
                ModificationTime = time,
            });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path)
            {
                Mode = (UnixFileMode)Convert.ToInt32("644", 8),
                ModificationTime = time,
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
            });
        }
        var uncompressed = tar.ToArray();
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(uncompressed);
        }
        return (compressed.ToArray(), "sha256:" + Convert.ToHexStringLower(SHA256.HashData(uncompressed)));
    }

    private static async Task<string> WriteBlobAsync(string layout, byte[] content)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
        await File.WriteAllBytesAsync(BlobPath(layout, digest), content);
        return digest;
    }

    private static string BlobPath(string layout, string digest) => Path.Combine(layout, "blobs", "sha256", digest["sha256:".Length..]);
}
