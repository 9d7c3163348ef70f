using Builder.Registry.Auth;

namespace Builder.Registry.Clients;

/// <summary>One repository on one registry, split by resource as the distribution API is: blobs, manifests and tags.</summary>
public sealed class RegistryRepository
{
    internal RegistryRepository(RegistryConnection connection, string name, bool push)
    {
        Connection = connection;
        Name = name;
        Scopes = [RegistryScope.Repository(name, push)];
        Blobs = new BlobClient(this);
        Manifests = new ManifestClient(this);
        Tags = new TagClient(this);
    }

    public string Name { get; }

    public string Registry => Connection.Endpoint.Registry;

    public IBlobClient Blobs { get; }

    public IManifestClient Manifests { get; }

    public ITagClient Tags { get; }

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

    /// <summary>
    /// A small response body (a manifest, a tag list) whole, refusing one longer than <paramref name="maxSize"/>
    /// whether or not the registry sent a Content-Length: an untrusted registry cannot make us buffer without bound.
    /// </summary>
    internal async Task<byte[]> ReadSmallBodyAsync(string operation, HttpResponseMessage response, int maxSize, CancellationToken cancellationToken)
    {
        var length = response.Content.Headers.ContentLength;
        if (length > maxSize)
        {
            throw new RegistryException(Registry, Name, operation, response.StatusCode, $"the response is {length} bytes, more than the {maxSize} allowed");
        }
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var copy = new MemoryStream((int)(length ?? 0));
        var chunk = new byte[1 << 16];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (copy.Length + read > maxSize)
            {
                throw new RegistryException(Registry, Name, operation, response.StatusCode, $"the response is more than the {maxSize} bytes allowed");
            }
            copy.Write(chunk, 0, read);
        }
        return copy.ToArray();
    }

    internal async Task<RegistryException> FailureAsync(string operation, HttpResponseMessage response, CancellationToken cancellationToken) =>
        await RegistryException.FromResponseAsync(Registry, Name, operation, response, cancellationToken).ConfigureAwait(false);
}
