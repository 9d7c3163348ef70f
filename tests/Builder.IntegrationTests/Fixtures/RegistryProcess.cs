using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Builder.IntegrationTests.Fixtures;

/// <summary>
/// A real CNCF distribution registry (Debian's docker-registry) on a free loopback port, with its own storage,
/// stopped when disposed. Extra YAML (auth, notifications) can be appended to its config.
/// </summary>
public sealed class RegistryProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TempDirectory _directory;

    private RegistryProcess(Process process, TempDirectory directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>host:port, as used in image references.</summary>
    public string Host => $"127.0.0.1:{Port}";

    public string StorageDirectory => _directory.Combine("storage");

    public string Log => _log.ToString();

    private readonly System.Text.StringBuilder _log = new();

    public static Task<RegistryProcess> StartAsync(string extraConfig = "", CancellationToken cancellationToken = default) =>
        StartAsync(new TempDirectory("registry"), extraConfig, cancellationToken);

    private static async Task<RegistryProcess> StartAsync(TempDirectory directory, string extraConfig, CancellationToken cancellationToken)
    {
        var registry = ExternalTool.Require("docker-registry");
        var port = FreePort();
        var config = directory.Combine("config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: info
            storage:
              filesystem:
                rootdirectory: {directory.Combine("storage")}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{port}
            {extraConfig}
            """, cancellationToken);
        var start = new ProcessStartInfo(registry) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(config);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start docker-registry");
        var result = new RegistryProcess(process, directory, port);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (result._log) { result._log.AppendLine(e.Data); } } };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (result._log) { result._log.AppendLine(e.Data); } } };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        await result.WaitUntilServingAsync(cancellationToken);
        return result;
    }

    private async Task WaitUntilServingAsync(CancellationToken cancellationToken)
    {
        using var client = new HttpClient();
        for (var i = 0; i < 100; i++)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"docker-registry exited with {_process.ExitCode}:\n{Log}");
            }
            try
            {
                var response = await client.GetAsync($"http://{Host}/v2/", cancellationToken);
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(100, cancellationToken);
        }
        throw new TimeoutException($"docker-registry did not start listening on {Host}:\n{Log}");
    }

    /// <summary>A registry that asks for Basic credentials (an htpasswd file with one bcrypt user).</summary>
    public static async Task<RegistryProcess> StartWithBasicAuthAsync(string user, string password, CancellationToken cancellationToken = default)
    {
        // The htpasswd file lives in the registry's directory, removed with it.
        var directory = new TempDirectory("registry");
        var file = directory.Combine("htpasswd");
        var line = (await ExternalTool.RunAsync("htpasswd", ["-Bbn", user, password], cancellationToken: cancellationToken)).EnsureSuccess("htpasswd").Out.Trim();
        await File.WriteAllTextAsync(file, line + "\n", cancellationToken);
        return await StartAsync(directory, $"""
            auth:
              htpasswd:
                realm: builder-test
                path: {file}
            """, cancellationToken);
    }

    /// <summary>How many log lines mention all of <paramref name="fragments"/> (the access log records every request).</summary>
    public int CountLogLines(params string[] fragments) =>
        Log.Split('\n').Count(line => fragments.All(f => line.Contains(f, StringComparison.Ordinal)));

    /// <summary>The digests of every blob the registry holds on disk.</summary>
    public IReadOnlySet<string> StoredBlobs()
    {
        var root = Path.Combine(StorageDirectory, "docker", "registry", "v2", "blobs", "sha256");
        return Directory.Exists(root)
            ? Directory.EnumerateDirectories(root).SelectMany(Directory.EnumerateDirectories)
                .Where(d => File.Exists(Path.Combine(d, "data")))
                .Select(d => "sha256:" + Path.GetFileName(d)).ToHashSet()
            : new HashSet<string>();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _directory.Dispose();
    }
}
