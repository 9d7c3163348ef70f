namespace Builder.Dockerfile.Shell;

/// <summary>The result of expanding one word.</summary>
/// <param name="Value">The expanded word, with quotes and escapes processed and inner spaces kept.</param>
/// <param name="Words">The same expansion split into words the way <see cref="ShellLexer.ProcessWords"/> does.</param>
/// <param name="Matched">Names of variables the word referenced that were set (possibly to an empty value).</param>
/// <param name="Unmatched">Names of variables the word referenced that were not set.</param>
public sealed record ShellExpansion(
    string Value,
    IReadOnlyList<string> Words,
    IReadOnlySet<string> Matched,
    IReadOnlySet<string> Unmatched);
