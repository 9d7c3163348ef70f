using System.Collections.Concurrent;
using Builder.Registry.Clients;

namespace Builder.Registry.Tests;

/// <summary>An in-memory HTTP server for handler tests: answers every request with a function and records them.</summary>
internal sealed class FakeHttp(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
{
    public ConcurrentQueue<(HttpMethod Method, Uri Uri, string? Authorization, string? Body)> Requests { get; } = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Enqueue((request.Method, request.RequestUri!, request.Headers.Authorization?.ToString(), body));
        var response = answer(request);
        response.RequestMessage = request;
        return response;
    }

    /// <summary>A repository client of registry.example that talks to this server, without retries.</summary>
    public RegistryRepository Repository(string name = "app")
    {
        var options = new RegistryOptions { MaxRetries = 0 };
        var endpoint = RegistryEndpoint.Resolve("registry.example", options);
        return new RegistryRepository(new RegistryConnection(endpoint, new HttpClient(this), new RegistryRetry(options), options), name, push: true);
    }
}
