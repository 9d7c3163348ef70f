namespace Builder.Registry.Credentials;

/// <summary>
/// Saves and forgets credentials for <c>builder login</c> / <c>builder logout</c>, with docker's file semantics: a
/// registry whose credential lives in a helper (its <c>credHelpers</c> entry, else <c>credsStore</c>) is stored
/// there and keeps only an empty <c>auths</c> entry; otherwise config.json's <c>auths</c> holds it, base64-encoded.
/// DOCKER_AUTH_CONFIG is read-only, as in docker: it is never written or erased.
/// </summary>
public sealed class CredentialStore
{
    private readonly Func<string, string?> _environment;

    /// <summary>Reads the process environment.</summary>
    public CredentialStore()
        : this(Environment.GetEnvironmentVariable)
    {
    }

    /// <param name="environment">Looks up an environment variable (DOCKER_CONFIG, HOME, PATH); null when it is unset.</param>
    public CredentialStore(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        _environment = environment;
    }

    /// <summary>The config.json this store reads and writes.</summary>
    public string ConfigPath => DockerConfigFile.Locate(_environment);

    public async Task StoreAsync(string registry, RegistryCredential credential, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(credential);
        Validate(credential);

        var key = RegistryKeys.Normalize(registry);
        var config = await DockerConfigFile.LoadAsync(ConfigPath, cancellationToken).ConfigureAwait(false);
        if (config.FindHelper(key) is { } helper)
        {
            if (!string.IsNullOrEmpty(credential.Username) || !string.IsNullOrEmpty(credential.IdentityToken))
            {
                await new CredentialHelper(helper, _environment).StoreAsync(key, credential, cancellationToken).ConfigureAwait(false);
            }

            // Docker keeps the entry, minus the secrets, so `auths` still lists the registry; a helper cannot hold a
            // registry token, which stays in the file as docker leaves it.
            config.SetAuth(key, new RegistryCredential(null, null) { RegistryToken = credential.RegistryToken });
        }
        else
        {
            config.SetAuth(key, credential);
        }

        await config.SaveAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Forgets the registry's credential in its helper and in <c>auths</c>, including the URL forms older clients
    /// filed it under; false when there was nothing to forget.
    /// </summary>
    public async Task<bool> EraseAsync(string registry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);

        var key = RegistryKeys.Normalize(registry);
        var config = await DockerConfigFile.LoadAsync(ConfigPath, cancellationToken).ConfigureAwait(false);

        var erased = false;
        if (config.FindHelper(key) is { } helper)
        {
            var credentialHelper = new CredentialHelper(helper, _environment);
            // `docker logout` asks the helper for each form too: it may hold a credential from an older client.
            foreach (var form in RegistryKeys.LegacyForms(key))
            {
                erased |= await credentialHelper.EraseAsync(form, cancellationToken).ConfigureAwait(false);
            }
        }

        if (config.RemoveAuth(key) > 0)
        {
            erased = true;
            await config.SaveAsync(cancellationToken).ConfigureAwait(false);
        }

        return erased;
    }

    private static void Validate(RegistryCredential credential)
    {
        if (string.IsNullOrEmpty(credential.Username) && string.IsNullOrEmpty(credential.IdentityToken) && string.IsNullOrEmpty(credential.RegistryToken))
        {
            throw new ArgumentException("a credential to store needs a user name, an identity token or a registry token", nameof(credential));
        }

        // "auth" is base64 of "user:password", split at the first colon when read back (RFC 7617 forbids it too).
        if (credential.Username?.Contains(':', StringComparison.Ordinal) == true)
        {
            throw new ArgumentException("a registry user name cannot contain ':'", nameof(credential));
        }
    }
}
