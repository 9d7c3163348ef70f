namespace Builder.Dockerfile.Shell;

/// <summary>A word could not be expanded: bad syntax (<c>${}</c>, unterminated quotes or braces,
/// unsupported modifiers such as <c>${v=x}</c>) or a failed <c>${v?message}</c> check.</summary>
public sealed class ShellExpansionException : Exception
{
    public ShellExpansionException(string word, string reason)
        : base($"failed to process {Syntax.GoText.Quote(word)}: {reason}")
    {
        Word = word;
        Reason = reason;
    }

    /// <summary>The word as it was given to the lexer.</summary>
    public string Word { get; }

    /// <summary>What went wrong, without the word (e.g. <c>VAR: must be set</c>).</summary>
    public string Reason { get; }
}
