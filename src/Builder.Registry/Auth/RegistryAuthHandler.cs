using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Serialization;
using Builder.Registry.Credentials;

namespace Builder.Registry.Auth;

/// <summary>
/// Answers a registry's 401 challenges: Basic with the user's credentials, or Bearer with a token fetched from the
/// challenge's realm for the scopes the request carries (a new token whenever a new set of scopes is needed).
/// Once a registry has challenged, later requests carry the right header up front instead of paying a 401 each.
/// </summary>
public sealed class RegistryAuthHandler(RegistryEndpoint endpoint, Func<CancellationToken, Task<RegistryCredential?>> credential)
    : DelegatingHandler
{
    private static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, BearerToken> _tokens = new();
    private readonly SemaphoreSlim _tokenGate = new(1, 1);
    private readonly SemaphoreSlim _credentialGate = new(1, 1);
    private AuthChallenge? _challenge;
    private RegistryCredential? _credential;
    private bool _credentialLoaded;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var scopes = RegistryScope.Of(request);
        if (IsForRegistry(request) && _challenge is { } known)
        {
            request.Headers.Authorization = await AuthorizationAsync(known, scopes, refresh: false, cancellationToken).ConfigureAwait(false);
        }
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized || !IsForRegistry(request) || !CanResend(request))
        {
            return response;
        }
        var challenge = AuthChallenge.ParseAll(response.Headers.WwwAuthenticate.ToString())
            .FirstOrDefault(c => c.IsBearer || c.IsBasic);
        if (challenge is null)
        {
            return response;
        }
        var hadAuthorization = request.Headers.Authorization is not null;
        _challenge = challenge;
        var scopesAsked = challenge.Scope is { } extra ? scopes.Union(extra.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList() : scopes;
        var authorization = await AuthorizationAsync(challenge, scopesAsked, refresh: hadAuthorization, cancellationToken).ConfigureAwait(false);
        if (authorization is null)
        {
            return response;
        }
        response.Dispose();
        request.Headers.Authorization = authorization;
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private bool IsForRegistry(HttpRequestMessage request) =>
        request.RequestUri is { } uri && Uri.Compare(uri, endpoint.BaseUri, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    // A streamed body is gone after the first send; only bodiless or buffered requests are sent again here
    // (callers that stream learn the challenge on an earlier, bodiless request of the same operation).
    private static bool CanResend(HttpRequestMessage request) => request.Content is null or ByteArrayContent;

    private async Task<AuthenticationHeaderValue?> AuthorizationAsync(
        AuthChallenge challenge, IReadOnlyList<string> scopes, bool refresh, CancellationToken cancellationToken)
    {
        var user = await CredentialAsync(cancellationToken).ConfigureAwait(false);
        if (challenge.IsBasic)
        {
            return user is { HasBasic: true } && !refresh
                ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user.Username}:{user.Password}")))
                : null;
        }
        if (user?.RegistryToken is { Length: > 0 } registryToken)
        {
            return refresh ? null : new AuthenticationHeaderValue("Bearer", registryToken);
        }
        var key = string.Join(' ', scopes.Order(StringComparer.Ordinal));
        if (!refresh && _tokens.TryGetValue(key, out var cached) && cached.ExpiresAt > DateTimeOffset.UtcNow)
        {
            return new AuthenticationHeaderValue("Bearer", cached.Token);
        }
        await _tokenGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!refresh && _tokens.TryGetValue(key, out cached) && cached.ExpiresAt > DateTimeOffset.UtcNow)
            {
                return new AuthenticationHeaderValue("Bearer", cached.Token);
            }
            var token = await FetchTokenAsync(challenge, scopes, user, cancellationToken).ConfigureAwait(false);
            _tokens[key] = token;
            return new AuthenticationHeaderValue("Bearer", token.Token);
        }
        finally
        {
            _tokenGate.Release();
        }
    }

    // Looked up once per registry (a credential helper is a process): parallel requests wait for the first lookup.
    private async Task<RegistryCredential?> CredentialAsync(CancellationToken cancellationToken)
    {
        await _credentialGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_credentialLoaded)
            {
                _credential = await credential(cancellationToken).ConfigureAwait(false);
                _credentialLoaded = true;
            }
            return _credential;
        }
        finally
        {
            _credentialGate.Release();
        }
    }

    private async Task<BearerToken> FetchTokenAsync(
        AuthChallenge challenge, IReadOnlyList<string> scopes, RegistryCredential? user, CancellationToken cancellationToken)
    {
        if (challenge.Realm is not { } realmText || !Uri.TryCreate(realmText, UriKind.Absolute, out var realm)
            || (realm.Scheme != Uri.UriSchemeHttps && realm.Scheme != Uri.UriSchemeHttp))
        {
            throw new RegistryException(endpoint.Registry, null, "authenticate", HttpStatusCode.Unauthorized,
                $"the registry's bearer challenge has no usable realm ('{challenge.Realm}')");
        }
        var sendsSecret = user is { HasBasic: true } || user?.IdentityToken is not null;
        if (sendsSecret && realm.Scheme == Uri.UriSchemeHttp && !RegistryEndpoint.IsLoopbackHost(realm.Host))
        {
            throw new RegistryException(endpoint.Registry, null, "authenticate", HttpStatusCode.Unauthorized,
                $"refusing to send credentials to the token realm {realm} over plain HTTP");
        }
        using var request = TokenRequest(realm, challenge.Service, scopes, user);
        // The realm is another server: send straight through, not back into this handler.
        using var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var error = await RegistryException.FromResponseAsync(endpoint.Registry, null, $"get a token from {realm.GetLeftPart(UriPartial.Path)} for", response, cancellationToken)
                .ConfigureAwait(false);
            throw response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                ? new RegistryException(endpoint.Registry, null, "authenticate to", HttpStatusCode.Unauthorized,
                    user is null ? "no credentials are configured (builder login)" : "the credentials were rejected by the token server")
                : error;
        }
        var body = await response.Content.ReadFromJsonAsync(TokenJsonContext.Default.TokenResponse, cancellationToken).ConfigureAwait(false);
        var token = body?.Token ?? body?.AccessToken;
        if (string.IsNullOrEmpty(token))
        {
            throw new RegistryException(endpoint.Registry, null, "authenticate to", response.StatusCode, $"the token realm {realm} answered without a token");
        }
        var lifetime = body!.ExpiresIn is > 0 ? TimeSpan.FromSeconds(body.ExpiresIn.Value) : DefaultTokenLifetime;
        // Renew a little early so a token does not expire between being attached and being checked.
        return new BearerToken(token, DateTimeOffset.UtcNow + lifetime * 0.9);
    }

    private static HttpRequestMessage TokenRequest(Uri realm, string? service, IReadOnlyList<string> scopes, RegistryCredential? user)
    {
        if (user?.IdentityToken is { Length: > 0 } refreshToken)
        {
            // OAuth2 refresh-token grant, as docker does after a login that returned an identity token.
            var form = new List<KeyValuePair<string, string>>
            {
                new("grant_type", "refresh_token"), new("refresh_token", refreshToken), new("client_id", "builder"),
            };
            if (service is not null)
            {
                form.Add(new("service", service));
            }
            if (scopes.Count > 0)
            {
                form.Add(new("scope", string.Join(' ', scopes)));
            }
            return new HttpRequestMessage(HttpMethod.Post, realm) { Content = new FormUrlEncodedContent(form) };
        }
        var query = new List<string>();
        if (service is not null)
        {
            query.Add("service=" + Uri.EscapeDataString(service));
        }
        query.AddRange(scopes.Select(s => "scope=" + Uri.EscapeDataString(s)));
        var builder = new UriBuilder(realm);
        builder.Query = string.Join('&', new[] { builder.Query.TrimStart('?') }.Where(q => q.Length > 0).Concat(query));
        var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        if (user is { HasBasic: true })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user.Username}:{user.Password}")));
        }
        return request;
    }

    private sealed record BearerToken(string Token, DateTimeOffset ExpiresAt);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _tokenGate.Dispose();
            _credentialGate.Dispose();
        }
        base.Dispose(disposing);
    }
}

internal sealed record TokenResponse(
    [property: JsonPropertyName("token")] string? Token,
    [property: JsonPropertyName("access_token")] string? AccessToken,
    [property: JsonPropertyName("expires_in")] int? ExpiresIn);

[JsonSerializable(typeof(TokenResponse))]
internal sealed partial class TokenJsonContext : JsonSerializerContext;
