using Builder.Registry.Auth;

namespace Builder.Registry.Clients;

/// <summary>One repository on one registry, split by resource as the distribution API is: blobs and manifests.</summary>
public sealed class RegistryRepository
{
    internal RegistryRepository(RegistryConnection connection, string name, bool push)
    {
        Connection = connection;
        Name = name;
        Scopes = [RegistryScope.Repository(name, push)];
        Blobs = new BlobClient(this);
        Manifests = new ManifestClient(this);
    }

    public string Name { get; }

    public string Registry => Connection.Endpoint.Registry;

    public IBlobClient Blobs { get; }

    public IManifestClient Manifests { get; }

    internal RegistryConnection Connection { get; }

    internal IReadOnlyList<string> Scopes { get; }

    internal Uri Api(string path) => Connection.Endpoint.Api($"v2/{Name}/{path}");

    internal HttpRequestMessage Request(HttpMethod method, Uri uri, IReadOnlyList<string>? scopes = null) =>
        new HttpRequestMessage(method, uri).WithScopes(scopes ?? Scopes);

    internal Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Connection.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    internal async ValueTask<T> RetryAsync<T>(Func<CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await Connection.Retry.ExecuteAsync(operation, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            // Retries are spent: one message that names the registry, not a socket error on its own.
            throw new RegistryException(Registry, Name, "reach", null, $"the registry cannot be reached at {Connection.Endpoint.BaseUri}: {e.Message}", e);
        }
    }

    internal async Task<RegistryException> FailureAsync(string operation, HttpResponseMessage response, CancellationToken cancellationToken) =>
        await RegistryException.FromResponseAsync(Registry, Name, operation, response, cancellationToken).ConfigureAwait(false);
}
