using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Builder.IntegrationTests.Fixtures;

/// <summary>The auth set-ups the registry tests use work with a plain HTTP client, before any of our code.</summary>
public sealed class AuthFixtureTests
{
    [Fact]
    public async Task Htpasswd_registry_wants_basic_credentials()
    {
        await using var registry = await RegistryProcess.StartWithBasicAuthAsync("alice", "s3cret");
        using var client = new HttpClient();

        var anonymous = await client.GetAsync($"http://{registry.Host}/v2/");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{registry.Host}/v2/");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cret")));
        var authorized = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.StartsWith("Basic", anonymous.Headers.WwwAuthenticate.ToString());
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
    }

    [Fact]
    public async Task Registry_trusts_the_token_servers_tokens()
    {
        using var temp = new TempDirectory();
        await using var tokens = await TokenServer.StartAsync(temp.Path, "bob", "hunter2");
        await using var registry = await RegistryProcess.StartAsync(tokens.RegistryConfig);
        using var client = new HttpClient();

        var challenge = await client.GetAsync($"http://{registry.Host}/v2/app/tags/list");
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, $"{tokens.Realm}?service={TokenServer.Service}&scope=repository:app:pull");
        tokenRequest.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:hunter2")));
        var tokenResponse = await client.SendAsync(tokenRequest);
        var token = JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString();
        using var listRequest = new HttpRequestMessage(HttpMethod.Get, $"http://{registry.Host}/v2/app/tags/list");
        listRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var list = await client.SendAsync(listRequest);

        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        Assert.Contains($"realm=\"{tokens.Realm}\"", challenge.Headers.WwwAuthenticate.ToString());
        Assert.Equal(HttpStatusCode.OK, tokenResponse.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, list.StatusCode); // authorized; the repository just does not exist yet
        Assert.Contains("NAME_UNKNOWN", await list.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Fault_proxy_forwards_and_misbehaves_as_planned()
    {
        await using var registry = await RegistryProcess.StartAsync();
        await using var proxy = await FaultProxy.StartAsync(registry.Host, new FaultPlan(ServiceUnavailable: 0.5, Seed: 7));
        using var client = new HttpClient();

        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            codes.Add((await client.GetAsync($"http://{proxy.Host}/v2/")).StatusCode);
        }

        Assert.Contains(HttpStatusCode.OK, codes);
        Assert.Contains(HttpStatusCode.ServiceUnavailable, codes);
        Assert.Equal(20, proxy.Requests);
    }
}
