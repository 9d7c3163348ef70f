using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Builder.IntegrationTests.Fixtures;

/// <summary>
/// An RFC 3161 time-stamping authority over HTTP on a free loopback port: each query is answered by
/// <c>openssl ts -reply</c> with a TSA certificate of the test PKI, so Builder's requests and the tokens it keeps
/// meet an independent implementation.
/// </summary>
public sealed class TimestampServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _directory;
    private int _requests;

    private TimestampServer(WebApplication app, string directory, int port)
    {
        _app = app;
        _directory = directory;
        Url = $"http://127.0.0.1:{port}/tsa";
    }

    public string Url { get; }

    /// <summary>How many timestamp queries it answered.</summary>
    public int Requests => _requests;

    public static async Task<TimestampServer> StartAsync(OpenSslPki pki, string directory)
    {
        Directory.CreateDirectory(directory);
        var (key, certificate) = await pki.IssueTimestampAuthorityAsync();
        await File.WriteAllTextAsync(Path.Combine(directory, "serial"), "01\n");
        var config = Path.Combine(directory, "tsa.cnf");
        await File.WriteAllTextAsync(config, $"""
            [ tsa ]
            default_tsa = tsa_config
            [ tsa_config ]
            serial = {Path.Combine(directory, "serial")}
            signer_cert = {certificate}
            certs = {pki.Intermediate}
            signer_key = {key}
            signer_digest = sha256
            default_policy = 1.3.6.1.4.1.4146.2.3
            digests = sha256, sha384, sha512
            accuracy = secs:1
            ordering = yes
            tsa_name = yes
            ess_cert_id_chain = no
            ess_cert_id_alg = sha256
            """);

        var port = RegistryProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var server = new TimestampServer(app, directory, port);
        app.MapPost("/tsa", (HttpContext context) => server.ReplyAsync(context, config));
        await app.StartAsync();
        return server;
    }

    private async Task ReplyAsync(HttpContext context, string config)
    {
        var id = Interlocked.Increment(ref _requests);
        var query = Path.Combine(_directory, $"query-{id}.tsq");
        var reply = Path.Combine(_directory, $"reply-{id}.tsr");
        await using (var file = File.Create(query))
        {
            await context.Request.Body.CopyToAsync(file);
        }
        var result = await ExternalTool.RunAsync("openssl", ["ts", "-reply", "-config", config, "-queryfile", query, "-out", reply]);
        if (result.ExitCode != 0)
        {
            context.Response.StatusCode = 500;
            await context.Response.WriteAsync(result.Error);
            return;
        }
        context.Response.ContentType = "application/timestamp-reply";
        await context.Response.Body.WriteAsync(await File.ReadAllBytesAsync(reply));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
