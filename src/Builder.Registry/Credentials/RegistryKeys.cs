namespace Builder.Registry.Credentials;

/// <summary>
/// The keys docker files credentials under: Docker Hub as its historical v1 index URL, every other registry
/// as host[:port]. Older clients wrote URLs ("https://host/", "http://host/v1/"), which still match by host.
/// </summary>
public static class RegistryKeys
{
    /// <summary>The key Docker Hub credentials live under in config.json and in credential helpers.</summary>
    public const string DockerHub = "https://index.docker.io/v1/";

    private static readonly string[] DockerHubHosts = ["docker.io", "index.docker.io", "registry-1.docker.io"];

    /// <summary>The key for a registry as given by a user or a reference ("docker.io", "https://ghcr.io/", "localhost:5000").</summary>
    public static string Normalize(string registry)
    {
        ArgumentNullException.ThrowIfNull(registry);

        // `docker login` without an argument means Docker Hub.
        if (registry.Length == 0 || registry == DockerHub)
        {
            return DockerHub;
        }

        var host = ToHost(registry);
        return IsDockerHubHost(host) ? DockerHub : host;
    }

    /// <summary>The host[:port] part of a key that may be written as an http(s) URL; other text up to the first '/'.</summary>
    public static string ToHost(string key)
    {
        ArgumentNullException.ThrowIfNull(key);

        var rest = key;
        var schemeEnd = key.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0)
        {
            var scheme = key[..schemeEnd];
            // Like docker, only http and https are understood as schemes; anything else is kept as written.
            if (scheme is "http" or "https")
            {
                rest = key[(schemeEnd + 3)..];
            }
        }

        var slash = rest.IndexOf('/');
        return slash < 0 ? rest : rest[..slash];
    }

    /// <summary>Whether a key found in a config file names the registry whose normalised key is <paramref name="normalizedKey"/>.</summary>
    public static bool Matches(string configKey, string normalizedKey) =>
        configKey == normalizedKey || (configKey.Length > 0 && Normalize(configKey) == normalizedKey);

    /// <summary>For a registry's key, the forms older clients may have filed it under, which a logout also clears.</summary>
    internal static IReadOnlyList<string> LegacyForms(string normalizedKey) =>
        normalizedKey == DockerHub
            ? [DockerHub]
            : [normalizedKey, "http://" + normalizedKey, "https://" + normalizedKey];

    private static bool IsDockerHubHost(string host) => Array.IndexOf(DockerHubHosts, host) >= 0;
}
