using System.Diagnostics;
using System.Globalization;
using Builder.IntegrationTests.Fixtures;

namespace Builder.IntegrationTests;

/// <summary>
/// ADD of git repositories (BuildKit's docs/reference.md "Adding a git repository"), offline: a local repository
/// served over plain HTTP (git update-server-info + a static server) and by git daemon on 127.0.0.1.
/// </summary>
public sealed class GitAddTests
{
    [Fact]
    public async Task ADD_of_a_repository_over_http_checks_out_the_default_branch_without_the_git_directory()
    {
        using var temp = new TempDirectory();
        await using var repository = await GitRepository.CreateAsync(temp);
        await using var server = await StaticHttpServer.StartAsync(repository.ServedDirectory);
        var (builder, context) = await CopySemanticsTests.BusyboxContextAsync(temp, $"FROM busybox\nADD {server.Url}/repo.git /src\n");

        var build = await builder.RunAsync("build", "-t", "git-http", context);

        build.EnsureSuccess("builder build");
        Assert.Equal(
            ["README file 0o644 0:0", "link symlink 0o777 0:0", "run.sh file 0o755 0:0", "second.txt file 0o644 0:0", "sub dir 0o755 0:0",
                "sub/dir dir 0o755 0:0", "sub/dir/file file 0o644 0:0"],
            await CopySemanticsTests.TreeAsync(builder, "git-http", "/src"));
        Assert.Equal("README", (string)(await CopySemanticsTests.EntryAsync(builder, "git-http", "/src/link"))!["target"]!);
    }

    [Fact]
    public async Task ADD_of_a_git_url_with_a_tag_and_a_subdirectory_copies_that_directory_at_that_tag()
    {
        using var temp = new TempDirectory();
        await using var repository = await GitRepository.CreateAsync(temp);
        await using var daemon = await GitDaemon.StartAsync(repository.ServedDirectory);
        var (builder, context) = await CopySemanticsTests.BusyboxContextAsync(temp, $"FROM busybox\nADD --chown=1000:1000 {daemon.Url}/repo.git#v1:sub /v1/\n");

        var build = await builder.RunAsync("build", "-t", "git-tag", context);
        var seen = await builder.RunAsync("run", "git-tag", "cat", "/v1/dir/file");

        build.EnsureSuccess("builder build");
        Assert.Equal(["dir dir 0o755 1000:1000", "dir/file file 0o644 1000:1000"], await CopySemanticsTests.TreeAsync(builder, "git-tag", "/v1"));
        Assert.Equal("first\n", seen.Out);
    }

    [Fact]
    public async Task ADD_keep_git_dir_keeps_the_repository_at_the_resolved_commit()
    {
        using var temp = new TempDirectory();
        await using var repository = await GitRepository.CreateAsync(temp);
        await using var daemon = await GitDaemon.StartAsync(repository.ServedDirectory);
        var (builder, context) = await CopySemanticsTests.BusyboxContextAsync(temp, $"FROM busybox\nADD --keep-git-dir=true {daemon.Url}/repo.git#main /kept\n");

        var build = await builder.RunAsync("build", "-t", "git-kept", context);
        var head = await builder.RunAsync("run", "git-kept", "cat", "/kept/.git/HEAD");

        build.EnsureSuccess("builder build");
        Assert.Equal(repository.MainCommit + "\n", head.Out);
    }

    [Fact]
    public async Task An_ADD_of_a_branch_is_cached_until_the_branch_moves_to_another_commit()
    {
        using var temp = new TempDirectory();
        await using var repository = await GitRepository.CreateAsync(temp);
        await using var server = await StaticHttpServer.StartAsync(repository.ServedDirectory);
        var (builder, context) = await CopySemanticsTests.BusyboxContextAsync(temp, $"FROM busybox\nADD {server.Url}/repo.git#main /src/\n");
        (await builder.RunAsync("build", "-t", "git-cache", "--progress", "plain", context)).EnsureSuccess("first build");

        var unchanged = await builder.RunAsync("build", "-t", "git-cache", "--progress", "plain", context);
        await repository.CommitAsync("third.txt", "third\n");
        var moved = await builder.RunAsync("build", "-t", "git-cache", "--progress", "plain", context);
        var seen = await builder.RunAsync("run", "git-cache", "cat", "/src/third.txt");

        unchanged.EnsureSuccess("rebuild");
        Assert.Single(unchanged.Error.Split('\n'), l => l.EndsWith(" CACHED", StringComparison.Ordinal));
        moved.EnsureSuccess("rebuild after a commit");
        Assert.DoesNotContain(moved.Error.Split('\n'), l => l.EndsWith(" CACHED", StringComparison.Ordinal));
        Assert.Equal("third\n", seen.Out);
    }

    /// <summary>
    /// A work repository with two commits on main (tag v1 on the first) and a bare copy of it under
    /// <see cref="ServedDirectory"/>/repo.git, ready for the dumb HTTP protocol.
    /// </summary>
    private sealed class GitRepository : IAsyncDisposable
    {
        private readonly string _work;

        private GitRepository(string work, string served)
        {
            _work = work;
            ServedDirectory = served;
        }

        public string ServedDirectory { get; }

        public string MainCommit { get; private set; } = "";

        private string Bare => Path.Combine(ServedDirectory, "repo.git");

        public static async Task<GitRepository> CreateAsync(TempDirectory temp)
        {
            var work = Directory.CreateDirectory(temp.Combine("git-work")).FullName;
            var served = Directory.CreateDirectory(temp.Combine("git-served")).FullName;
            var repository = new GitRepository(work, served);
            await GitAsync(work, "init", "-q", "-b", "main");
            Directory.CreateDirectory(Path.Combine(work, "sub", "dir"));
            await File.WriteAllTextAsync(Path.Combine(work, "README"), "readme\n");
            await File.WriteAllTextAsync(Path.Combine(work, "run.sh"), "#!/bin/sh\necho run\n");
            File.SetUnixFileMode(Path.Combine(work, "run.sh"), (UnixFileMode)Convert.ToInt32("755", 8));
            await File.WriteAllTextAsync(Path.Combine(work, "sub", "dir", "file"), "first\n");
            File.CreateSymbolicLink(Path.Combine(work, "link"), "README");
            await GitAsync(work, "add", "-A");
            await GitAsync(work, "commit", "-q", "-m", "first");
            await GitAsync(work, "tag", "v1");
            await File.WriteAllTextAsync(Path.Combine(work, "sub", "dir", "file"), "second\n");
            await File.WriteAllTextAsync(Path.Combine(work, "second.txt"), "second\n");
            await GitAsync(work, "add", "-A");
            await GitAsync(work, "commit", "-q", "-m", "second");
            await GitAsync(served, "clone", "-q", "--bare", work, "repo.git");
            await repository.PublishAsync();
            return repository;
        }

        public async Task CommitAsync(string name, string content)
        {
            await File.WriteAllTextAsync(Path.Combine(_work, name), content);
            await GitAsync(_work, "add", "-A");
            await GitAsync(_work, "commit", "-q", "-m", "add " + name);
            await GitAsync(_work, "push", "-q", Bare, "main");
            await PublishAsync();
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private async Task PublishAsync()
        {
            await GitAsync(Bare, "update-server-info");
            MainCommit = (await GitAsync(Bare, "rev-parse", "main")).Trim();
        }

        private static async Task<string> GitAsync(string directory, params string[] args)
        {
            var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in (string[])["-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main", .. args])
            {
                start.ArgumentList.Add(arg);
            }
            return (await ExternalTool.RunAsync(start, TimeSpan.FromMinutes(1), CancellationToken.None)).EnsureSuccess("git " + string.Join(' ', args)).Out;
        }
    }

    /// <summary>A static file server (python3 -m http.server) on a free loopback port: git's dumb HTTP protocol.</summary>
    private sealed class StaticHttpServer(Process process, int port) : IAsyncDisposable
    {
        public string Url => $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";

        public static async Task<StaticHttpServer> StartAsync(string directory)
        {
            var port = RegistryProcess.FreePort();
            var process = Process.Start(new ProcessStartInfo("python3", ["-m", "http.server", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1"])
                { WorkingDirectory = directory, RedirectStandardError = true, RedirectStandardOutput = true })!;
            Drain(process);
            await WaitForPortAsync(port);
            return new StaticHttpServer(process, port);
        }

        public async ValueTask DisposeAsync()
        {
            process.Kill();
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    /// <summary>git daemon exporting a directory's repositories on a free loopback port (git://).</summary>
    private sealed class GitDaemon(Process process, int port) : IAsyncDisposable
    {
        public string Url => $"git://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";

        public static async Task<GitDaemon> StartAsync(string directory)
        {
            var port = RegistryProcess.FreePort();
            var process = Process.Start(new ProcessStartInfo("git",
                ["daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1", $"--port={port.ToString(CultureInfo.InvariantCulture)}", $"--base-path={directory}", directory])
                { RedirectStandardError = true, RedirectStandardOutput = true })!;
            Drain(process);
            await WaitForPortAsync(port);
            return new GitDaemon(process, port);
        }

        public async ValueTask DisposeAsync()
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    // The servers log every request: their output is read (and dropped) so a full pipe never stops them.
    private static void Drain(Process process)
    {
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private static async Task WaitForPortAsync(int port)
    {
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(100);
            }
        }
        throw new TimeoutException($"nothing listens on 127.0.0.1:{port}");
    }
}
