using System.Net;

namespace Builder.Registry;

/// <summary>
/// Where the distribution API of a registry lives. <see cref="Registry"/> is the host as references spell it
/// ("docker.io", "127.0.0.1:5000"); <see cref="BaseUri"/> is what requests go to.
/// </summary>
public sealed record RegistryEndpoint(string Registry, Uri BaseUri, bool SkipTlsVerify)
{
    public const string DockerHub = "docker.io";

    /// <summary>Docker Hub's API host: references say docker.io, the API answers at registry-1.docker.io.</summary>
    public const string DockerHubApiHost = "registry-1.docker.io";

    public bool IsLoopback => IsLoopbackHost(BaseUri.Host);

    public bool IsPlainHttp => BaseUri.Scheme == Uri.UriSchemeHttp;

    /// <summary>
    /// The endpoint for <paramref name="registry"/>: loopback hosts over plain HTTP (as docker does), insecure
    /// registries over HTTPS without certificate checks (plain HTTP when the caller found TLS absent), others over HTTPS.
    /// </summary>
    public static RegistryEndpoint Resolve(string registry, RegistryOptions options, bool plainHttp = false)
    {
        var host = registry is DockerHub or "index.docker.io" ? DockerHubApiHost : registry;
        var insecure = options.InsecureRegistries.Contains(registry);
        var http = IsLoopbackHost(HostWithoutPort(host)) || (insecure && plainHttp);
        return new RegistryEndpoint(registry, new Uri($"{(http ? "http" : "https")}://{host}/"), insecure && !http);
    }

    public Uri Api(string path) => new(BaseUri, path);

    public static bool IsLoopbackHost(string host)
    {
        host = host.Trim('[', ']');
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }

    private static string HostWithoutPort(string host)
    {
        if (host.StartsWith('['))
        {
            return host[..(host.IndexOf(']') + 1)];
        }
        var colon = host.LastIndexOf(':');
        return colon < 0 ? host : host[..colon];
    }
}
