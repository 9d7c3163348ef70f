using System.CommandLine;
using Builder.Signing.Cms;

namespace Builder.Cli.Commands;

/// <summary>The options that choose a signing key and a timestamp authority, shared by <c>sign</c> and <c>build --sign</c>.</summary>
internal sealed class SigningKeyOptions
{
    public Option<string?> Key { get; } = new("--key") { Description = "The signer's PEM private key (PKCS#8, encrypted PKCS#8, RSA or EC); needs --cert" };

    public Option<string?> Pfx { get; } = new("--pfx") { Description = "A PKCS#12 (PFX) file with the signer's key and certificate" };

    public Option<string?> PasswordEnv { get; } = new("--password-env") { Description = "An environment variable holding the key's or PFX's password" };

    public Option<string?> Certificate { get; } = new("--cert") { Description = "PEM certificates: the signer's and its intermediates (with --pfx: more intermediates)" };

    public Option<string?> TimestampUrl { get; } = new("--timestamp-url") { Description = "An RFC 3161 timestamp authority to countersign the signature" };

    public IEnumerable<Option> All => [Key, Pfx, PasswordEnv, Certificate, TimestampUrl];

    public bool AnyGiven(ParseResult result) =>
        result.GetValue(Key) is not null || result.GetValue(Pfx) is not null || result.GetValue(PasswordEnv) is not null
        || result.GetValue(Certificate) is not null || result.GetValue(TimestampUrl) is not null;

    /// <summary>The key and certificates the options name; usage errors for impossible combinations, failures for bad files.</summary>
    public SigningIdentity Load(ParseResult result)
    {
        var key = result.GetValue(Key);
        var pfx = result.GetValue(Pfx);
        var certificate = result.GetValue(Certificate);
        if (key is not null && pfx is not null)
        {
            throw new UsageException("--key and --pfx are mutually exclusive");
        }
        if (key is null && pfx is null)
        {
            throw new UsageException("signing needs a key: --key KEY.pem --cert CHAIN.pem, or --pfx FILE");
        }
        if (key is not null && certificate is null)
        {
            throw new UsageException("--key needs --cert CHAIN.pem: the signer's certificate (and its intermediates)");
        }
        string? password = null;
        if (result.GetValue(PasswordEnv) is { } variable)
        {
            password = Environment.GetEnvironmentVariable(variable) ?? throw new UsageException($"--password-env {variable}: the variable is not set");
        }
        return key is not null ? SigningIdentity.FromPem(key, certificate!, password) : SigningIdentity.FromPfx(pfx!, password, certificate);
    }

    /// <summary>The timestamp authority --timestamp-url names, reached with <paramref name="http"/>; null without one.</summary>
    public TimestampAuthority? Timestamps(ParseResult result, HttpClient http)
    {
        if (result.GetValue(TimestampUrl) is not { } text)
        {
            return null;
        }
        return Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? new TimestampAuthority(http, url)
            : throw new UsageException($"--timestamp-url {text}: not an http(s) URL");
    }

    /// <summary>An HTTP client for timestamp requests: a TSA that does not answer in a minute is down.</summary>
    public static HttpClient TimestampClient() => new() { Timeout = TimeSpan.FromMinutes(1) };
}
