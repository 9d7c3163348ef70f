using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Builder.Registry.Auth;
using Builder.Registry.Clients;
using Builder.Registry.Credentials;

namespace Builder.Registry;

/// <summary>
/// The entry point to registries for one process: one HTTP connection pool and one auth state (tokens, challenges)
/// per registry, shared by every repository client made from it.
/// </summary>
public sealed class RegistryClient(RegistryOptions options, ICredentialProvider credentials) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<RegistryConnection>>> _connections = new(StringComparer.OrdinalIgnoreCase);

    public RegistryOptions Options { get; } = options;

    /// <summary>A client for <paramref name="repository"/> on <paramref name="registry"/>, asking for push rights when <paramref name="push"/>.</summary>
    public async Task<RegistryRepository> RepositoryAsync(string registry, string repository, bool push, CancellationToken cancellationToken)
    {
        var connection = await _connections.GetOrAdd(registry, r => new Lazy<Task<RegistryConnection>>(() => ConnectAsync(r, CancellationToken.None)))
            .Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new RegistryRepository(connection, repository, push);
    }

    /// <summary>
    /// Checks <paramref name="credential"/> against <paramref name="registry"/> the way <c>docker login</c> does: the
    /// registry's /v2/ must answer with it (through the token realm when the registry uses tokens).
    /// </summary>
    /// <exception cref="RegistryException">The credential was refused (401) or the registry could not be reached.</exception>
    public async Task LoginAsync(string registry, RegistryCredential credential, CancellationToken cancellationToken)
    {
        using var connection = await ConnectAsync(registry, cancellationToken, _ => Task.FromResult<RegistryCredential?>(credential)).ConfigureAwait(false);
        await connection.Retry.ExecuteAsync(async ct =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, connection.Endpoint.Api("v2/"));
            using var response = await connection.Http.SendAsync(request, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw await RegistryException.FromResponseAsync(registry, null, "log in to", response, ct).ConfigureAwait(false);
            }
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    private Task<RegistryConnection> ConnectAsync(string registry, CancellationToken cancellationToken) =>
        ConnectAsync(registry, cancellationToken, ct => credentials.GetAsync(registry, ct));

    private async Task<RegistryConnection> ConnectAsync(
        string registry, CancellationToken cancellationToken, Func<CancellationToken, Task<RegistryCredential?>> credential)
    {
        var endpoint = RegistryEndpoint.Resolve(registry, Options);
        if (endpoint.SkipTlsVerify && !await SpeaksTlsAsync(endpoint, cancellationToken).ConfigureAwait(false))
        {
            // An insecure registry without TLS at all: docker falls back to plain HTTP too.
            endpoint = RegistryEndpoint.Resolve(registry, Options, plainHttp: true);
        }
        return new RegistryConnection(endpoint, CreateHttpClient(endpoint, credential), new RegistryRetry(Options), Options);
    }

    private async Task<bool> SpeaksTlsAsync(RegistryEndpoint endpoint, CancellationToken cancellationToken)
    {
        using var probe = new HttpClient(CreateTransport(endpoint)) { Timeout = TimeSpan.FromSeconds(15) };
        try
        {
            using var response = await probe.GetAsync(endpoint.Api("v2/"), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private HttpClient CreateHttpClient(RegistryEndpoint endpoint, Func<CancellationToken, Task<RegistryCredential?>> credential) =>
        new(new RegistryAuthHandler(endpoint, credential) { InnerHandler = CreateTransport(endpoint) })
        {
            // Blobs stream for as long as they take; stalls are caught by the transport's own timeouts.
            Timeout = Timeout.InfiniteTimeSpan,
        };

    private SocketsHttpHandler CreateTransport(RegistryEndpoint endpoint)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = Math.Max(Options.Parallelism * 2, 4),
        };
        if (endpoint.SkipTlsVerify)
        {
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true };
        }
        else if (Options.CaFile is { } caFile)
        {
            var extra = new X509Certificate2Collection();
            extra.ImportFromPemFile(caFile);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                    errors == SslPolicyErrors.None || (certificate is not null && TrustedByExtraRoots(certificate, extra, errors)),
            };
        }
        return handler;
    }

    private static bool TrustedByExtraRoots(X509Certificate certificate, X509Certificate2Collection roots, SslPolicyErrors errors)
    {
        if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            return false; // a name mismatch is not forgiven by an extra CA
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(new X509Certificate2(certificate));
    }

    public void Dispose()
    {
        foreach (var connection in _connections.Values.Where(c => c.IsValueCreated && c.Value.IsCompletedSuccessfully))
        {
            connection.Value.Result.Dispose();
        }
    }
}

/// <summary>One registry's endpoint, HTTP client (with its auth state) and retry policy.</summary>
public sealed class RegistryConnection(RegistryEndpoint endpoint, HttpClient http, RegistryRetry retry, RegistryOptions options) : IDisposable
{
    public RegistryEndpoint Endpoint { get; } = endpoint;

    public HttpClient Http { get; } = http;

    public RegistryRetry Retry { get; } = retry;

    public RegistryOptions Options { get; } = options;

    public void Dispose() => Http.Dispose();
}
