using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>The example image, built once offline (Debian base, Debian's Django and gunicorn) for the tests below.</summary>
public sealed class DjangoImage : IAsyncLifetime
{
    private readonly TempDirectory _temp = new("django");

    public BuilderCommand Builder { get; private set; } = null!;

    public string Context { get; private set; } = null!;

    public ToolResult FirstBuild { get; private set; } = null!;

    public static readonly string[] BuildArgs = ["--build-arg", "BASE_IMAGE=debian:bookworm", "--build-arg", "DEPS=debian"];

    public async Task InitializeAsync()
    {
        var debian = await BaseRootfs.DebianAsync();
        Builder = new BuilderCommand(_temp.Combine("store"));
        (await Builder.RunAsync("import", debian, "-t", "debian:bookworm")).EnsureSuccess("import Debian");
        Context = _temp.Combine("context");
        CopyTree(Path.Combine(DifferentialTests.RepositoryRoot, "examples", "django"), Context);
        FirstBuild = await Builder.RunAsync(["build", "-t", "mysite:test", "--progress", "plain", .. BuildArgs, Context], null, CancellationToken.None);
        FirstBuild.EnsureSuccess("build examples/django");
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}

/// <summary>The test classes that use the Django image share one build of it (about 80 s).</summary>
[CollectionDefinition(Name)]
public sealed class DjangoCollection : ICollectionFixture<DjangoImage>
{
    public const string Name = "Django example image";
}

/// <summary>Issue 8: the Django example builds offline, serves, carries the right config, and rebuilds cheaply.</summary>
[Collection(DjangoCollection.Name)]
public sealed class DjangoExampleTests(DjangoImage image)
{
    [Fact]
    public async Task The_image_serves_the_page_its_static_file_and_health()
    {
        var port = RegistryProcess.FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { BuilderCommand.Dll, "run", "--rm", "-p", $"127.0.0.1:{port}:8000", "-e", "DJANGO_SECRET_KEY=test-only", "mysite:test",
            "gunicorn", "--bind", "0.0.0.0:8000", "--workers", "1", "mysite.wsgi:application" })
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["BUILDER_ROOT"] = image.Builder.Root;
        using var app = Process.Start(start)!;
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var health = await GetWhenUpAsync(http, $"http://127.0.0.1:{port}/health/");
            var page = await http.GetAsync($"http://127.0.0.1:{port}/");
            var css = await http.GetAsync($"http://127.0.0.1:{port}/static/pages/style.css");

            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal("{\"status\": \"ok\"}", await health.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("Hello from Django 3.2", await page.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        }
        finally
        {
            await ExternalTool.RunAsync("kill", ["-INT", app.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            if (!app.WaitForExit(20_000))
            {
                app.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Pushed_to_a_registry_its_config_shows_user_port_healthcheck_and_labels()
    {
        await using var registry = await RegistryProcess.StartAsync();

        (await image.Builder.RunAsync("push", "mysite:test", $"{registry.Host}/mysite:test")).EnsureSuccess("push");
        // --raw: the config blob as pushed (skopeo re-encodes the parsed OCI config otherwise, without Healthcheck).
        var inspect = (await ExternalTool.RunAsync("skopeo", ["inspect", "--tls-verify=false", "--config", "--raw", $"docker://{registry.Host}/mysite:test"]))
            .EnsureSuccess("skopeo inspect --config");

        var config = JsonNode.Parse(inspect.Out)!["config"]!;
        Assert.Equal("10001:10001", (string?)config["User"]);
        Assert.NotNull(config["ExposedPorts"]!["8000/tcp"]);
        Assert.Equal("CMD", (string?)config["Healthcheck"]!["Test"]![0]);
        Assert.Equal("mysite", (string?)config["Labels"]!["org.opencontainers.image.title"]);
        Assert.Contains("PYTHONUNBUFFERED=1", config["Env"]!.AsArray().Select(e => (string?)e));
    }

    [Fact]
    public async Task After_editing_a_python_file_only_the_steps_after_the_code_copy_run_again()
    {
        var views = Path.Combine(image.Context, "pages", "views.py");
        await File.AppendAllTextAsync(views, "\n# edited\n");

        var rebuild = await image.Builder.RunAsync(["build", "-t", "mysite:test", "--progress", "plain", .. DjangoImage.BuildArgs, image.Context], null, CancellationToken.None);

        rebuild.EnsureSuccess("rebuild");
        var steps = rebuild.Error.Split('\n').Where(l => l.Contains("] ", StringComparison.Ordinal) && l.StartsWith('#')).ToList();
        var lines = rebuild.Error.Split('\n');
        bool Cached(string step)
        {
            var header = lines.First(l => l.StartsWith('#') && l.Contains(step, StringComparison.Ordinal));
            var vertex = header[..header.IndexOf(' ')];
            return lines.Contains(vertex + " CACHED");
        }
        Assert.True(Cached("apt-get update"), string.Join('\n', steps));
        Assert.True(Cached("groupadd"), string.Join('\n', steps));
        Assert.False(Cached("COPY . ."), string.Join('\n', steps));
        Assert.False(Cached("collectstatic"), string.Join('\n', steps));
    }

    private static async Task<HttpResponseMessage> GetWhenUpAsync(HttpClient http, string url)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                return await http.GetAsync(url);
            }
            catch (HttpRequestException) when (i < 120)
            {
                await Task.Delay(500);
            }
        }
    }
}
