using System.Net;
using System.Text;
using Builder.Registry.Auth;
using Builder.Registry.Credentials;

namespace Builder.Registry.Tests.Auth;

public sealed class RegistryAuthHandlerTests
{
    private const string Registry = "https://registry.example/";
    private const string Realm = "https://auth.example/token";

    private static HttpResponseMessage Challenge(string header)
    {
        var response = new HttpResponseMessage(HttpStatusCode.Unauthorized);
        response.Headers.TryAddWithoutValidation("WWW-Authenticate", header);
        return response;
    }

    private static HttpResponseMessage Token(string token) =>
        new(HttpStatusCode.OK) { Content = new StringContent($$"""{"token":"{{token}}","expires_in":300}""", Encoding.UTF8, "application/json") };

    /// <summary>A registry that wants a bearer token per scope, and a realm that names tokens after the scopes asked.</summary>
    private static FakeHttp TokenRegistry(string realm = Realm) => new(request =>
    {
        var uri = request.RequestUri!;
        if (uri.ToString().StartsWith(realm, StringComparison.Ordinal))
        {
            var scopes = string.Join("+", uri.Query.TrimStart('?').Split('&').Where(p => p.StartsWith("scope=", StringComparison.Ordinal)).Select(p => Uri.UnescapeDataString(p[6..])));
            return Token("T(" + scopes + ")");
        }
        return request.Headers.Authorization is { Scheme: "Bearer" }
            ? new HttpResponseMessage(HttpStatusCode.OK)
            : Challenge($"Bearer realm=\"{realm}\",service=\"registry.example\"");
    });

    private static HttpClient Client(FakeHttp server, RegistryCredential? credential, string registry = "registry.example") =>
        new(new RegistryAuthHandler(RegistryEndpoint.Resolve(registry, new RegistryOptions()), _ => Task.FromResult(credential)) { InnerHandler = server });

    private static HttpRequestMessage Get(string path, params string[] scopes) =>
        new HttpRequestMessage(HttpMethod.Get, Registry + path).WithScopes(scopes);

    [Fact]
    public async Task Bearer_challenge_is_answered_with_a_token_for_the_requests_scope()
    {
        var server = TokenRegistry();
        using var client = Client(server, new RegistryCredential("alice", "pw"));

        using var response = await client.SendAsync(Get("v2/app/tags/list", "repository:app:pull"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tokenRequest = server.Requests.Single(r => r.Uri.Host == "auth.example");
        Assert.Contains("service=registry.example", tokenRequest.Uri.Query);
        Assert.Contains("scope=repository%3Aapp%3Apull", tokenRequest.Uri.Query);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:pw")), tokenRequest.Authorization);
        Assert.Equal("Bearer T(repository:app:pull)", server.Requests.Last().Authorization);
    }

    [Fact]
    public async Task A_token_is_reused_for_the_same_scope_and_a_new_one_fetched_for_a_new_scope()
    {
        var server = TokenRegistry();
        using var client = Client(server, null);

        (await client.SendAsync(Get("v2/app/manifests/1", "repository:app:pull"))).Dispose();
        (await client.SendAsync(Get("v2/app/manifests/2", "repository:app:pull"))).Dispose();
        (await client.SendAsync(Get("v2/other/manifests/1", "repository:other:pull,push"))).Dispose();

        Assert.Equal(2, server.Requests.Count(r => r.Uri.Host == "auth.example"));
        // After the first challenge, requests carry their token up front: one 401 in all.
        Assert.Equal(4, server.Requests.Count(r => r.Uri.Host == "registry.example"));
        Assert.Equal("Bearer T(repository:other:pull,push)", server.Requests.Last().Authorization);
    }

    [Fact]
    public async Task Anonymous_token_requests_carry_no_credentials()
    {
        var server = TokenRegistry();
        using var client = Client(server, null);

        (await client.SendAsync(Get("v2/app/manifests/1", "repository:app:pull"))).Dispose();

        Assert.Null(server.Requests.Single(r => r.Uri.Host == "auth.example").Authorization);
    }

    [Fact]
    public async Task Basic_challenge_is_answered_with_the_users_credentials_and_a_refusal_is_returned()
    {
        var server = new FakeHttp(request => request.Headers.Authorization?.Parameter == Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:right"))
            ? new HttpResponseMessage(HttpStatusCode.OK)
            : Challenge("Basic realm=\"registry\""));
        using var good = Client(server, new RegistryCredential("alice", "right"));
        using var bad = Client(server, new RegistryCredential("alice", "wrong"));

        using var accepted = await good.SendAsync(Get("v2/"));
        using var refused = await bad.SendAsync(Get("v2/"));

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Credentials_are_never_sent_to_a_plain_http_realm_of_a_remote_host()
    {
        var server = TokenRegistry("http://auth.example/token");
        using var client = Client(server, new RegistryCredential("alice", "secret"));

        var error = await Assert.ThrowsAsync<RegistryException>(() => client.SendAsync(Get("v2/app/tags/list", "repository:app:pull")));

        Assert.Contains("plain HTTP", error.Message);
        Assert.DoesNotContain(server.Requests, r => r.Uri.Host == "auth.example");
        Assert.DoesNotContain("secret", error.Message);
    }

    [Fact]
    public async Task An_identity_token_is_exchanged_with_the_oauth2_refresh_grant()
    {
        var server = new FakeHttp(request => request.RequestUri!.Host == "auth.example"
            ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"access_token":"A"}""") }
            : request.Headers.Authorization is { Scheme: "Bearer", Parameter: "A" } ? new HttpResponseMessage(HttpStatusCode.OK)
            : Challenge($"Bearer realm=\"{Realm}\",service=\"svc\""));
        using var client = Client(server, new RegistryCredential("alice", null) { IdentityToken = "refresh-me" });

        using var response = await client.SendAsync(Get("v2/app/tags/list", "repository:app:pull"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var exchange = server.Requests.Single(r => r.Uri.Host == "auth.example");
        Assert.Equal(HttpMethod.Post, exchange.Method);
        Assert.Contains("grant_type=refresh_token", exchange.Body);
        Assert.Contains("refresh_token=refresh-me", exchange.Body);
        Assert.Contains("scope=repository%3Aapp%3Apull", exchange.Body);
    }

    [Fact]
    public async Task A_rejected_token_request_says_the_credentials_were_rejected()
    {
        var server = new FakeHttp(request => request.RequestUri!.Host == "auth.example"
            ? new HttpResponseMessage(HttpStatusCode.Unauthorized)
            : Challenge($"Bearer realm=\"{Realm}\",service=\"svc\""));
        using var client = Client(server, new RegistryCredential("alice", "wrong"));

        var error = await Assert.ThrowsAsync<RegistryException>(() => client.SendAsync(Get("v2/", "registry:catalog:*")));

        Assert.True(error.IsUnauthorized);
        Assert.Contains("registry.example", error.Message);
        Assert.Contains("rejected", error.Message);
    }

    [Fact]
    public async Task Credentials_are_not_attached_to_requests_for_other_hosts()
    {
        var server = new FakeHttp(request => request.RequestUri!.Host == "registry.example" && request.Headers.Authorization is null
            ? Challenge("Basic realm=\"r\"")
            : new HttpResponseMessage(HttpStatusCode.OK));
        using var client = Client(server, new RegistryCredential("alice", "pw"));

        (await client.SendAsync(Get("v2/"))).Dispose();
        (await client.GetAsync("https://storage.example/blob")).Dispose();

        Assert.Null(server.Requests.Last().Authorization);
    }
}
