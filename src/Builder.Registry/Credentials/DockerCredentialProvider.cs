namespace Builder.Registry.Credentials;

/// <summary>
/// Finds a registry credential where docker and CI systems keep one, first match wins:
/// <list type="number">
/// <item><c>BUILDER_REGISTRY_USERNAME</c> + <c>BUILDER_REGISTRY_PASSWORD</c>, for every registry;</item>
/// <item><c>DOCKER_AUTH_CONFIG</c>, a config.json document in a variable (GitLab CI, docker CLI 28.3+);</item>
/// <item>config.json: the registry's <c>credHelpers</c> entry, else <c>credsStore</c>, else <c>auths</c>.</item>
/// </list>
/// The file is read on every call, so a <c>builder login</c> in between is seen.
/// </summary>
public sealed class DockerCredentialProvider : ICredentialProvider
{
    public const string UsernameVariable = "BUILDER_REGISTRY_USERNAME";
    public const string PasswordVariable = "BUILDER_REGISTRY_PASSWORD";
    public const string AuthConfigVariable = "DOCKER_AUTH_CONFIG";

    private readonly Func<string, string?> _environment;

    /// <summary>Reads the process environment.</summary>
    public DockerCredentialProvider()
        : this(Environment.GetEnvironmentVariable)
    {
    }

    /// <param name="environment">Looks up an environment variable; null when it is unset.</param>
    public DockerCredentialProvider(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        _environment = environment;
    }

    public async Task<RegistryCredential?> GetAsync(string registry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);

        if (FromVariables() is { } fromVariables)
        {
            return fromVariables;
        }

        if (_environment(AuthConfigVariable) is { Length: > 0 } json)
        {
            var fromVariable = DockerConfigFile.Parse(json, AuthConfigVariable);
            if (await ResolveAsync(fromVariable, registry, cancellationToken).ConfigureAwait(false) is { } found)
            {
                return found;
            }
        }

        var file = await DockerConfigFile.LoadAsync(DockerConfigFile.Locate(_environment), cancellationToken).ConfigureAwait(false);
        return await ResolveAsync(file, registry, cancellationToken).ConfigureAwait(false);
    }

    private RegistryCredential? FromVariables()
    {
        var username = _environment(UsernameVariable);
        var password = _environment(PasswordVariable);
        return (string.IsNullOrEmpty(username), string.IsNullOrEmpty(password)) switch
        {
            (false, false) => new RegistryCredential(username, password),
            (true, true) => null,
            // Half a pair is a CI misconfiguration; falling through to another credential would hide it.
            (false, true) => throw new InvalidOperationException($"{UsernameVariable} is set but {PasswordVariable} is not"),
            (true, false) => throw new InvalidOperationException($"{PasswordVariable} is set but {UsernameVariable} is not"),
        };
    }

    // A configured helper is the only answer for its registry, as in docker: its "not found" does not fall back to auths.
    private async Task<RegistryCredential?> ResolveAsync(DockerConfigFile config, string registry, CancellationToken cancellationToken)
    {
        var key = RegistryKeys.Normalize(registry);
        if (config.FindHelper(key) is { } helper)
        {
            return await new CredentialHelper(helper, _environment).GetAsync(key, cancellationToken).ConfigureAwait(false);
        }

        return config.FindAuth(key);
    }
}
