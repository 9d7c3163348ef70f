using Builder.Oci.References;
using Builder.Registry;
using Builder.Registry.Credentials;

namespace Builder.Cli;

/// <summary>How the verbs reach registries: options from the environment and flags, credentials as docker keeps them.</summary>
internal static class RegistryAccess
{
    public static RegistryClient CreateClient(IEnumerable<string>? insecureRegistries)
    {
        try
        {
            return new RegistryClient(RegistryOptions.FromEnvironment(Environment.GetEnvironmentVariable, insecureRegistries), new DockerCredentialProvider());
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }

    public static CredentialStore CredentialStore() => new();

    /// <summary>
    /// The registry a login names: docker.io when none; a URL (<c>https://index.docker.io/v1/</c>) is reduced to its
    /// host, as docker accepts both.
    /// </summary>
    public static string RegistryHost(string? server)
    {
        if (string.IsNullOrWhiteSpace(server))
        {
            return ImageReference.DefaultRegistry;
        }
        var host = Uri.TryCreate(server, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri.Authority : server.TrimEnd('/');
        if (host is "index.docker.io" or "registry-1.docker.io")
        {
            return ImageReference.DefaultRegistry;
        }
        if (!ImageReference.TryParse($"{host}/probe", out var parsed) || parsed.Registry != host)
        {
            throw new UsageException($"\"{server}\" is not a registry host[:port]");
        }
        return host;
    }
}
