namespace Builder.Dockerfile.Shell;

/// <summary>
/// Expands variables and processes quotes and escapes in one Dockerfile word, the way BuildKit's
/// <c>frontend/dockerfile/shell</c> lexer does: <c>$a ${a} ${a:-b} ${a-b} ${a:+b} ${a+b} ${a:?m} ${a?m}
/// ${a#p} ${a##p} ${a%p} ${a%%p} ${a/p/r} ${a//p/r}</c>, single and double quotes, and the Dockerfile's escape
/// character. Immutable and safe to share between threads.
/// </summary>
public sealed class ShellLexer
{
    public ShellLexer(char escapeToken = '\\', ShellLexerOptions options = ShellLexerOptions.None)
    {
        // The Dockerfile `escape` directive accepts only these two.
        if (escapeToken is not ('\\' or '`'))
        {
            throw new ArgumentOutOfRangeException(nameof(escapeToken), escapeToken, "The escape character must be '\\' or '`'.");
        }

        EscapeToken = escapeToken;
        Options = options;
    }

    public char EscapeToken { get; }

    public ShellLexerOptions Options { get; }

    /// <summary>Expands <paramref name="word"/> and reports which variables it used.</summary>
    /// <exception cref="ShellExpansionException">The word is malformed or a <c>${v?msg}</c> check failed.</exception>
    public ShellExpansion ProcessWord(string word, IReadOnlyDictionary<string, string> env)
    {
        ArgumentNullException.ThrowIfNull(word);
        ArgumentNullException.ThrowIfNull(env);
        return new WordExpander(word, env, EscapeToken, Options).Expand();
    }

    /// <summary>
    /// Expands <paramref name="word"/> and splits the result on unquoted white space. Splitting happens after
    /// expansion, so spaces coming from a variable split too, while quoted or escaped spaces do not.
    /// </summary>
    /// <exception cref="ShellExpansionException">The word is malformed or a <c>${v?msg}</c> check failed.</exception>
    public IReadOnlyList<string> ProcessWords(string word, IReadOnlyDictionary<string, string> env) =>
        ProcessWord(word, env).Words;
}
