using System.Net;
using System.Net.Sockets;

namespace Builder.Cli.Tests;

/// <summary>
/// What a user can mistype, verb by verb: a failure is exit 1 and one "error:" line naming the file:line:column, the
/// flag or the file; a usage error is exit 2, one "error:" line and the verb's help hint. Never "internal error".
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("builder-bad-input-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Context(string dockerfile, string? dockerignore = null)
    {
        var context = Directory.CreateDirectory(Path.Combine(_directory, "context")).FullName;
        File.WriteAllText(Path.Combine(context, "a"), "a\n");
        File.WriteAllText(Path.Combine(context, "Dockerfile"), dockerfile);
        if (dockerignore is not null)
        {
            File.WriteAllText(Path.Combine(context, ".dockerignore"), dockerignore);
        }
        return context;
    }

    private static void AssertFails(CliRunner.Result result, string errorLine)
    {
        Assert.Equal(errorLine + "\n", result.Error);
        Assert.Equal(1, result.ExitCode);
    }

    private static void AssertUsage(CliRunner.Result result, string errorLine, string verb)
    {
        Assert.Equal($"{errorLine}\nRun 'builder {verb}--help' for usage.\n", result.Error);
        Assert.Equal(2, result.ExitCode);
    }

    [Theory]
    [InlineData("FROM scratch\nCOPY --chmod=99999 a /b\n", "error: Dockerfile:2:6: invalid chmod parameter: '99999'. it should be octal string and between 0 and 07777")]
    [InlineData("FROM scratch\nCOPY --exclude=[ a /b\n", "error: Dockerfile:2:6: --exclude: syntax error in pattern (bad character class): \"[\"")]
    [InlineData("FROM scratch\nEXPOSE 80/xyz\n", "error: Dockerfile:2:8: Invalid proto: xyz")]
    [InlineData("FROM scratch\nEXPOSE 10-5\n", "error: Dockerfile:2:8: Invalid containerPort: 10-5")]
    [InlineData("FROM scratch\nARG P=80/xyz\nEXPOSE $P\n", "error: Dockerfile:3: EXPOSE $P: Invalid proto: xyz")]
    [InlineData("FROM scratch\nARG S=bogus\nSTOPSIGNAL $S\n", "error: Dockerfile:3: STOPSIGNAL $S: invalid signal: bogus")]
    [InlineData("FROM scratch\nHEALTHCHECK --interval=99999999999999999999h CMD true\n", "error: Dockerfile:2:13: time: invalid duration \"99999999999999999999h\"")]
    [InlineData("FROM scratch\nCOPY [\"a\", \"b\"\n", "error: Dockerfile:2: COPY [\"a\", \"b\": syntax error in pattern \"[a,\"")]
    [InlineData("FROM scratch\nCOPY [z-a] /b\n", "error: Dockerfile:2: COPY [z-a] /b: syntax error in pattern \"[z-a]\"")]
    [InlineData("FROM --platform=linux/amd64/v1/x scratch\n", "error: Dockerfile:1:6: invalid platform \"linux/amd64/v1/x\": expected os/arch[/variant]")]
    [InlineData("FROM Alpine\n", "error: Dockerfile:1:6: invalid image reference \"Alpine\": repository name \"library/Alpine\" must be lowercase")]
    [InlineData("FROM scratch\nCOPY --from=Bad/Name a /b\n", "error: Dockerfile:2:1: invalid image reference \"Bad/Name\": repository name \"Name\" must be lowercase")]
    [InlineData("FROM scratch\nADD http:// /b\n", "error: Dockerfile:2: ADD http:// /b: ADD http://: not a valid URL")]
    [InlineData("FROM scratch\nADD --checksum=abc http://127.0.0.1:1/x /b\n", "error: Dockerfile:2: ADD --checksum=abc http://127.0.0.1:1/x /b: ADD --checksum=abc: not a digest (sha256:…)")]
    public void Dockerfile_mistakes_are_one_located_line(string dockerfile, string errorLine)
    {
        AssertFails(CliRunner.Run("build", "-q", Context(dockerfile)), errorLine);
    }

    [Fact]
    public void Unterminated_json_builds_as_shell_form()
    {
        var result = CliRunner.Run("build", "-q", "-t", "local/unterminated:1", Context("FROM scratch\nCOPY a /a\nCMD [\"a\", \"b\"\n"));

        Assert.Equal("", result.Error);
        Assert.Equal(0, result.ExitCode);
        using var json = System.Text.Json.JsonDocument.Parse(CliRunner.Run("inspect", "local/unterminated:1").Out);
        var cmd = json.RootElement.GetProperty("Config").GetProperty("config").GetProperty("Cmd").EnumerateArray().Select(e => e.GetString());
        Assert.Equal(["/bin/sh", "-c", "[\"a\", \"b\""], cmd);
    }

    [Theory]
    [InlineData("[\n", "error: .dockerignore:1: syntax error in pattern (bad character class): \"[\"")]
    [InlineData("# comment\n*.md\n\nsrc/[a-\n", "error: .dockerignore:4: syntax error in pattern (bad character class): \"src/[a-\"")]
    [InlineData("!\n", "error: .dockerignore:1: illegal exclusion pattern: \"!\"")]
    public void Bad_dockerignore_patterns_name_their_line(string dockerignore, string errorLine)
    {
        AssertFails(CliRunner.Run("build", "-q", Context("FROM scratch\nCOPY a /a\n", dockerignore)), errorLine);
    }

    [Fact]
    public void Bad_pattern_in_a_dockerfiles_own_ignore_file_names_that_file()
    {
        var context = Context("FROM scratch\n", "[\n");
        Directory.CreateDirectory(Path.Combine(context, "app"));
        File.WriteAllText(Path.Combine(context, "app", "web.Dockerfile"), "FROM scratch\nCOPY a /a\n");
        File.WriteAllText(Path.Combine(context, "app", "web.Dockerfile.dockerignore"), "*.md\n!\n");

        AssertFails(CliRunner.Run("build", "-q", "-f", Path.Combine(context, "app", "web.Dockerfile"), context),
            "error: app/web.Dockerfile.dockerignore:2: illegal exclusion pattern: \"!\"");
    }

    [Fact]
    public void Lint_names_a_bad_dockerignore_beside_the_dockerfile_as_it_was_given()
    {
        var dockerfile = Path.Combine(Context("FROM scratch\nCOPY . /\n", "# c\nsrc/[a-\n"), "Dockerfile");

        AssertFails(CliRunner.Run("lint", dockerfile),
            $"error: {Path.GetDirectoryName(dockerfile)}/.dockerignore:2: syntax error in pattern (bad character class): \"src/[a-\"");
    }

    [Theory]
    [InlineData("failure-threshold: [\n", ".hadolint.yaml:2:1: While parsing a node, did not find expected node content.")]
    [InlineData("failure-threshold: bogus\n", ".hadolint.yaml: unknown severity 'bogus' (error, warning, info, style, ignore)")]
    public void Lint_names_a_config_file_that_is_not_valid(string yaml, string error)
    {
        var context = Context("FROM scratch\n");
        File.WriteAllText(Path.Combine(context, ".hadolint.yaml"), yaml);

        AssertFails(CliRunner.Run("lint", "--config", Path.Combine(context, ".hadolint.yaml"), Path.Combine(context, "Dockerfile")),
            $"error: {context}/{error}");
    }

    [Fact]
    public void Lint_blames_a_bad_threshold_on_the_flag_not_on_the_config()
    {
        var context = Context("FROM scratch\n");
        File.WriteAllText(Path.Combine(context, ".hadolint.yaml"), "ignored: [DL3006]\n");

        AssertUsage(CliRunner.Run("lint", "--config", Path.Combine(context, ".hadolint.yaml"), "-t", "bogus", Path.Combine(context, "Dockerfile")),
            "error: --failure-threshold: unknown severity 'bogus' (error, warning, info, style, ignore)", "lint ");
    }

    [Fact]
    public void An_empty_file_flag_builds_the_default_dockerfile_as_docker_does()
    {
        var result = CliRunner.Run("build", "-q", "-f", "", Context("FROM scratch\nCOPY a /a\n"));

        Assert.Equal("", result.Error);
        Assert.Equal(0, result.ExitCode);
    }

    [Theory]
    [InlineData("--output", "type=oci")]
    [InlineData("--iidfile", null)]
    public void A_directory_where_a_file_goes_is_named_once(string flag, string? output)
    {
        var destination = Directory.CreateDirectory(Path.Combine(_directory, "out")).FullName;
        var value = output is null ? destination : $"{output},dest={destination}";

        AssertFails(CliRunner.Run("build", "-q", flag, value, Context("FROM scratch\nCOPY a /a\n")), $"error: {flag} {destination}: is a directory");
    }

    [Theory]
    [InlineData("{not json", "error: invalid JSON: 'n' is an invalid start of a property name. Expected a '\"'. Path: $ | LineNumber: 0 | BytePositionInLine: 1.")]
    [InlineData("null", "error: invalid JSON: expected a ImageManifest, found null")]
    [InlineData("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:zz\",\"size\":2},\"layers\":[]}",
        "error: invalid JSON: invalid digest \"sha256:zz\"")]
    public void A_registry_that_sends_a_manifest_that_is_not_json_is_one_line(string manifest, string errorLine)
    {
        using var registry = new ManifestRegistry(manifest);

        AssertFails(CliRunner.Run("pull", $"{registry.Host}/x:latest"), errorLine);
        AssertFails(CliRunner.Run("build", "-q", Context($"FROM {registry.Host}/x:latest\n")), errorLine);
    }

    [Theory]
    [InlineData("text", "hello\n")]
    [InlineData("empty", "")]
    [InlineData("random", null)]
    [InlineData("gzip", "\u001f\u008b\u0008\u0000garbage")]
    public void Loading_a_file_that_is_not_an_archive_says_so(string name, string? content)
    {
        var path = Path.Combine(_directory, name);
        if (content is null)
        {
            File.WriteAllBytes(path, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251))]);
        }
        else
        {
            File.WriteAllBytes(path, [.. content.Select(c => (byte)c)]);
        }

        var result = CliRunner.Run("load", "-i", path);

        Assert.Equal(1, result.ExitCode);
        Assert.Matches($"^error: load: {System.Text.RegularExpressions.Regex.Escape(path)} is not a docker-archive or OCI layout: [^\n]+\n$", result.Error);
    }

    [Fact]
    public void Loading_a_directory_that_is_not_a_layout_says_so()
    {
        File.WriteAllText(Path.Combine(_directory, "x"), "x");

        AssertFails(CliRunner.Run("load", "-i", _directory),
            $"error: load: {_directory} is not a docker-archive or OCI layout: it has neither oci-layout and index.json nor manifest.json");
    }

    [Fact]
    public void Loading_a_tar_with_a_broken_manifest_says_so()
    {
        var path = Path.Combine(_directory, "broken.tar");
        using (var tar = new System.Formats.Tar.TarWriter(File.Create(path)))
        {
            tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "manifest.json")
            {
                DataStream = new MemoryStream("[{\"Config\": 1}]"u8.ToArray()),
            });
        }

        var result = CliRunner.Run("load", "-i", path);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error: load: {path} is not a docker-archive or OCI layout: ", result.Error);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Loading_a_missing_file_names_it()
    {
        AssertFails(CliRunner.Run("load", "-i", "/nonexistent/archive.tar"), "error: load: /nonexistent/archive.tar: no such file or directory");
    }

    [Fact]
    public void Unknown_target_lists_ten_stages_then_how_many_more()
    {
        var dockerfile = Path.Combine(_directory, "Dockerfile");
        File.WriteAllText(dockerfile, string.Concat(Enumerable.Range(0, 5000).Select(i => $"FROM scratch AS s{i}\n")));

        AssertFails(CliRunner.Run("graph", "--target", "nope", dockerfile),
            "error: Dockerfile: target stage \"nope\" could not be found (stages: s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, and 4990 more)");
    }

    [Theory]
    [InlineData(new[] { "run", "--bogus", "img" }, "error: unrecognized option '--bogus'", "run ")]
    [InlineData(new[] { "run", "-e", "A=1", "-x", "img", "ls" }, "error: unrecognized option '-x'", "run ")]
    [InlineData(new[] { "build", "--bogus", "." }, "error: unrecognized option '--bogus'", "build ")]
    [InlineData(new[] { "inspect", "--nope", "img" }, "error: unrecognized option '--nope'", "inspect ")]
    [InlineData(new[] { "images", "--all" }, "error: unrecognized option '--all'", "images ")]
    [InlineData(new[] { "--bogus" }, "error: unrecognized option '--bogus'", "")]
    [InlineData(new[] { "bogus" }, "error: unknown command 'bogus'", "")]
    [InlineData(new[] { "tag", "a", "b" }, "error: unknown command 'tag'", "")]
    [InlineData(new[] { "save", "-o", "x.tar", "--format", "zip", "img" }, "error: Argument 'zip' not recognized. Must be one of: 'docker' 'oci'", "save ")]
    [InlineData(new[] { "build", "--secret", "id=a,,src=x", "." }, "error: --secret id=a,,src=x: invalid field '' must be a key=value pair", "build ")]
    [InlineData(new[] { "build", "--secret", "id=a,sauce=x", "." }, "error: --secret id=a,sauce=x: unexpected key 'sauce' in 'sauce=x'", "build ")]
    [InlineData(new[] { "build", "--secret", "id=a,id=b,id=c,env", "." }, "error: --secret id=a,id=b,id=c,env: invalid field 'env' must be a key=value pair", "build ")]
    [InlineData(new[] { "build", "--output", "", "." }, "error: --output: the value is empty (expected type=...,dest=PATH or a directory)", "build ")]
    [InlineData(new[] { "build", "--output", "type=local,dest=", "." }, "error: --output type=local needs dest=", "build ")]
    [InlineData(new[] { "build", "--platform", "linux/amd64/v1/x", "." }, "error: invalid platform \"linux/amd64/v1/x\": expected os/arch[/variant]", "build ")]
    [InlineData(new[] { "build", "--build-arg", "=x", "." }, "error: --build-arg =x: the name before '=' is empty", "build ")]
    [InlineData(new[] { "pull", "Bad Name" }, "error: invalid image reference \"Bad Name\": repository name \"library/Bad Name\" must be lowercase", "pull ")]
    [InlineData(new[] { "build", "/nonexistent/context" }, "error: unable to prepare context: path \"/nonexistent/context\" not found", "build ")]
    [InlineData(new[] { "build", "--build-arg", "SOURCE_DATE_EPOCH=yesterday", "." }, "error: SOURCE_DATE_EPOCH \"yesterday\" is not a number of seconds", "build ")]
    [InlineData(new[] { "build", "--build-arg", "SOURCE_DATE_EPOCH=999999999999999", "." }, "error: SOURCE_DATE_EPOCH \"999999999999999\" is past the year 9999", "build ")]
    public void Usage_errors_are_one_line_and_the_verbs_help_hint(string[] args, string errorLine, string verb)
    {
        AssertUsage(CliRunner.Run(args), errorLine, verb);
    }

    [Fact]
    public void Run_passes_words_after_the_image_to_the_container()
    {
        // "ls -la --network bogus" is the container's command, not options of run: the image is then looked for (and
        // its registry is not there), where a bad --network of run's own would be a usage error.
        var result = CliRunner.Run("run", "--rm", "127.0.0.1:1/none", "ls", "-la", "--network", "bogus");

        Assert.Equal(1, result.ExitCode);
        Assert.DoesNotContain("--network", result.Error);
        Assert.DoesNotContain("unrecognized option", result.Error);
        Assert.DoesNotContain("internal error", result.Error);
    }

    [Theory]
    [InlineData("parse")]
    [InlineData("graph")]
    [InlineData("lint")]
    public void Dockerfile_verbs_name_a_missing_file_or_a_directory(string verb)
    {
        AssertFails(CliRunner.Run(verb, "/nonexistent/Dockerfile"), "error: /nonexistent/Dockerfile: no such file or directory");
        AssertFails(CliRunner.Run(verb, _directory), $"error: {_directory}: is a directory");
    }

    [Fact]
    public void Lint_names_a_missing_config_file()
    {
        var dockerfile = Path.Combine(Context("FROM scratch\n"), "Dockerfile");

        AssertFails(CliRunner.Run("lint", "--config", "/nonexistent/.hadolint.yaml", dockerfile), "error: /nonexistent/.hadolint.yaml: no such file or directory");
    }

    [Fact]
    public void Build_check_names_a_broken_lint_config_in_the_context()
    {
        var context = Context("FROM scratch\n");
        File.WriteAllText(Path.Combine(context, ".hadolint.yaml"), "ignored: [DL3000\n  bad: {\n");

        var result = CliRunner.Run("build", "-q", "--check", context);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error: {Path.Combine(context, ".hadolint.yaml")}:", result.Error);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Build_with_a_dockerfile_that_is_a_directory_says_so()
    {
        var context = Context("FROM scratch\n");
        var directory = Directory.CreateDirectory(Path.Combine(context, "docker")).FullName;

        AssertFails(CliRunner.Run("build", "-q", "-f", directory, context), $"error: failed to read dockerfile: read {directory}: is a directory");
    }

    [Theory]
    [InlineData("--iidfile")]
    [InlineData("--metadata-file")]
    public void Build_files_that_cannot_be_written_are_named_with_their_flag(string flag)
    {
        AssertFails(CliRunner.Run("build", "-q", flag, "/nonexistent/dir/file", Context("FROM scratch\nCOPY a /a\n")),
            $"error: {flag} /nonexistent/dir/file: no such file or directory");
    }

    [Fact]
    public void Build_output_into_a_missing_directory_names_it()
    {
        AssertFails(CliRunner.Run("build", "-q", "--output", "type=oci,dest=/nonexistent/dir/image.tar", Context("FROM scratch\nCOPY a /a\n")),
            "error: --output /nonexistent/dir/image.tar: no such file or directory");
    }

    /// <summary>A registry on loopback (plain HTTP) that answers every manifest request with the same bytes.</summary>
    private sealed class ManifestRegistry : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly byte[] _manifest;

        public ManifestRegistry(string manifest)
        {
            _manifest = System.Text.Encoding.UTF8.GetBytes(manifest);
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                Host = $"127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}";
            }
            _listener.Prefixes.Add($"http://{Host}/");
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public string Host { get; }

        public void Dispose() => _listener.Close();

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                var body = context.Request.Url!.AbsolutePath == "/v2/" ? "{}"u8.ToArray() : _manifest;
                context.Response.ContentType = context.Request.Url.AbsolutePath == "/v2/" ? "application/json" : "application/vnd.oci.image.manifest.v1+json";
                context.Response.ContentLength64 = body.Length;
                if (context.Request.HttpMethod != "HEAD")
                {
                    await context.Response.OutputStream.WriteAsync(body);
                }
                context.Response.Close();
            }
        }
    }
}
