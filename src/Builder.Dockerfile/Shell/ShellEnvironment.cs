namespace Builder.Dockerfile.Shell;

/// <summary>Builds the variable map the lexer reads from environment lists as BuildKit keeps them.</summary>
public static class ShellEnvironment
{
    /// <summary>
    /// Turns <c>KEY=VALUE</c> entries into a case-sensitive map. <c>KEY</c> without <c>=</c> and <c>KEY=</c> both
    /// define the variable as empty; a later duplicate replaces an earlier one.
    /// </summary>
    public static IReadOnlyDictionary<string, string> FromList(IEnumerable<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var separator = entry.IndexOf('=', StringComparison.Ordinal);
            if (separator < 0)
            {
                env[entry] = "";
            }
            else
            {
                env[entry[..separator]] = entry[(separator + 1)..];
            }
        }

        return env;
    }
}
