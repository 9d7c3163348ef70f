namespace Builder.Registry.Credentials;

/// <summary>
/// What a user gave us to prove who they are to one registry: a user name and password, or an identity
/// (refresh) token from an OAuth2 login, or a registry token to send as a bearer token as it is.
/// </summary>
public sealed record RegistryCredential(string? Username, string? Password)
{
    /// <summary>An OAuth2 refresh token (docker's "identitytoken"); exchanged at the token realm by POST.</summary>
    public string? IdentityToken { get; init; }

    /// <summary>A bearer token to send to the registry directly (docker's "registrytoken").</summary>
    public string? RegistryToken { get; init; }

    public bool HasBasic => !string.IsNullOrEmpty(Username) && Password is not null;

    // Never print a secret, even by accident in a log or an exception.
    public override string ToString() => $"RegistryCredential {{ Username = {Username} }}";
}

/// <summary>Finds the credential for a registry host (as written in references: "docker.io", "127.0.0.1:5000").</summary>
public interface ICredentialProvider
{
    Task<RegistryCredential?> GetAsync(string registry, CancellationToken cancellationToken);
}
