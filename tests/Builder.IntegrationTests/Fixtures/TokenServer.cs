using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Builder.IntegrationTests.Fixtures;

/// <summary>
/// A docker token server (the "Bearer realm" of the distribution auth spec) for one user: it checks Basic
/// credentials and issues RS256 JWTs, with the signing certificate in the x5c header, that a docker-registry
/// configured with <see cref="RegistryConfig"/> trusts. It records the scopes it was asked for.
/// </summary>
public sealed class TokenServer : IAsyncDisposable
{
    public const string Service = "builder-test-registry";
    public const string Issuer = "builder-test-issuer";

    private readonly WebApplication _app;
    private readonly RSA _key;
    private readonly X509Certificate2 _certificate;
    private readonly string _user;
    private readonly string _password;

    private TokenServer(WebApplication app, RSA key, X509Certificate2 certificate, string user, string password, string bundle, int port)
    {
        _app = app;
        _key = key;
        _certificate = certificate;
        _user = user;
        _password = password;
        BundlePath = bundle;
        Realm = $"http://127.0.0.1:{port}/token";
    }

    public string Realm { get; }

    /// <summary>The PEM certificate bundle the registry verifies tokens with.</summary>
    public string BundlePath { get; }

    /// <summary>Every <c>scope</c> asked for, in order.</summary>
    public ConcurrentQueue<string> RequestedScopes { get; } = new();

    /// <summary>How many requests came with wrong or missing credentials.</summary>
    public int Rejected => _rejected;

    private int _rejected;

    /// <summary>The <c>auth:</c> section of a registry config that trusts this server.</summary>
    public string RegistryConfig => $"""
        auth:
          token:
            realm: {Realm}
            service: {Service}
            issuer: {Issuer}
            rootcertbundle: {BundlePath}
        """;

    public static async Task<TokenServer> StartAsync(string directory, string user, string password)
    {
        var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=builder test token issuer", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var bundle = Path.Combine(directory, "token-bundle.pem");
        await File.WriteAllTextAsync(bundle, certificate.ExportCertificatePem());

        var port = RegistryProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var server = new TokenServer(app, key, certificate, user, password, bundle, port);
        app.MapGet("/token", server.Issue);
        await app.StartAsync();
        return server;
    }

    private IResult Issue(HttpContext context)
    {
        var scopes = context.Request.Query["scope"].Select(s => s!).ToList();
        foreach (var scope in scopes)
        {
            RequestedScopes.Enqueue(scope);
        }
        if (!IsAuthorized(context.Request.Headers.Authorization.ToString()))
        {
            Interlocked.Increment(ref _rejected);
            return Results.Json(new { errors = new[] { new { code = "UNAUTHORIZED", message = "invalid username or password" } } }, statusCode: 401);
        }
        var token = CreateToken(scopes);
        return Results.Json(new Dictionary<string, object> { ["token"] = token, ["access_token"] = token, ["expires_in"] = 300 });
    }

    private bool IsAuthorized(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            return false;
        }
        var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..]));
        return decoded == $"{_user}:{_password}";
    }

    /// <summary>A JWT granting every action asked for in <paramref name="scopes"/> (<c>repository:NAME:pull,push</c>).</summary>
    private string CreateToken(IReadOnlyList<string> scopes)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var access = scopes.Select(scope =>
        {
            var parts = scope.Split(':');
            var actions = parts[^1].Split(',');
            var name = string.Join(':', parts[1..^1]);
            return new Dictionary<string, object> { ["type"] = parts[0], ["name"] = name, ["actions"] = actions };
        }).ToList();
        var header = new Dictionary<string, object>
        {
            ["typ"] = "JWT",
            ["alg"] = "RS256",
            ["x5c"] = new[] { Convert.ToBase64String(_certificate.RawData) },
        };
        var claims = new Dictionary<string, object>
        {
            ["iss"] = Issuer,
            ["sub"] = _user,
            ["aud"] = Service,
            ["exp"] = now + 300,
            ["nbf"] = now - 10,
            ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = access,
        };
        var signingInput = Base64Url(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _certificate.Dispose();
        _key.Dispose();
    }
}
