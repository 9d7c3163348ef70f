using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Builder.IntegrationTests.Fixtures;

/// <summary>What the proxy does to traffic, as fractions of requests (decided by a seeded random source).</summary>
public sealed record FaultPlan(double DropConnection = 0, double ServiceUnavailable = 0, bool CorruptBlobBodies = false, int Seed = 1);

/// <summary>
/// An HTTP proxy in front of a registry that misbehaves on purpose: it drops connections (sometimes after part of
/// the response), answers 503, or flips a byte in blob downloads. It counts what it did.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private readonly FaultPlan _plan;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private int _requests;
    private int _dropped;
    private int _unavailable;

    private FaultProxy(WebApplication app, HttpClient upstream, FaultPlan plan, int port)
    {
        _app = app;
        _upstream = upstream;
        _plan = plan;
        _random = new Random(plan.Seed);
        Host = $"127.0.0.1:{port}";
    }

    /// <summary>host:port of the proxy, to use in image references instead of the registry's.</summary>
    public string Host { get; }

    public int Requests => _requests;

    public int Dropped => _dropped;

    public int Unavailable => _unavailable;

    public static async Task<FaultProxy> StartAsync(string upstreamHost, FaultPlan plan)
    {
        var port = RegistryProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        var app = builder.Build();
        var upstream = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://{upstreamHost}"), Timeout = Timeout.InfiniteTimeSpan };
        var proxy = new FaultProxy(app, upstream, plan, port);
        app.Run(proxy.HandleAsync);
        await app.StartAsync();
        return proxy;
    }

    private double Roll()
    {
        lock (_gate)
        {
            return _random.NextDouble();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var roll = Roll();
        if (roll < _plan.ServiceUnavailable)
        {
            Interlocked.Increment(ref _unavailable);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        var drop = roll < _plan.ServiceUnavailable + _plan.DropConnection;
        var dropEarly = drop && Roll() < 0.5;
        if (dropEarly)
        {
            Interlocked.Increment(ref _dropped);
            context.Abort();
            return;
        }

        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), context.Request.Path + context.Request.QueryString);
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(context.Request.Body);
        }
        foreach (var (name, values) in context.Request.Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, values.ToArray()))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }
        request.Headers.Host = context.Request.Host.Value; // the registry builds Location URLs from it

        using var response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!string.Equals(name, "Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }
        var isBlob = context.Request.Method == "GET" && context.Request.Path.Value!.Contains("/blobs/sha256:", StringComparison.Ordinal);
        await using var body = await response.Content.ReadAsStreamAsync(context.RequestAborted);
        var buffer = new byte[64 * 1024];
        long sent = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            if (_plan.CorruptBlobBodies && isBlob && sent == 0)
            {
                buffer[0] ^= 0xFF;
            }
            await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
            sent += read;
            if (drop && sent > 0)
            {
                // Part of the answer went out: the client sees a connection reset mid-body.
                Interlocked.Increment(ref _dropped);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                context.Abort();
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
