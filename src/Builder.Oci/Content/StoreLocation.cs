namespace Builder.Oci.Content;

/// <summary>
/// Where the local store lives: <c>$BUILDER_ROOT</c>; else <c>/var/lib/builder</c> for root; else
/// <c>$XDG_DATA_HOME/builder</c>; else <c>~/.local/share/builder</c>.
/// </summary>
public static class StoreLocation
{
    public const string RootVariable = "BUILDER_ROOT";
    public const string SystemRoot = "/var/lib/builder";

    /// <summary>The store root for this process's environment and user.</summary>
    public static string Resolve() =>
        Resolve(Environment.GetEnvironmentVariable, Environment.IsPrivilegedProcess, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    public static string Resolve(Func<string, string?> environment, bool isRoot, string home)
    {
        if (environment(RootVariable) is { Length: > 0 } explicitRoot)
        {
            return Path.GetFullPath(explicitRoot);
        }
        if (isRoot)
        {
            return SystemRoot;
        }
        // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
        if (environment("XDG_DATA_HOME") is { Length: > 0 } dataHome && Path.IsPathFullyQualified(dataHome))
        {
            return Path.Combine(dataHome, "builder");
        }
        if (string.IsNullOrEmpty(home))
        {
            throw new InvalidOperationException($"cannot place the store: set {RootVariable}, XDG_DATA_HOME or HOME");
        }
        return Path.Combine(home, ".local", "share", "builder");
    }
}
