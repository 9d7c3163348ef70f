namespace Builder.Dockerfile.Shell;

/// <summary>A word could not be expanded: bad syntax (<c>${}</c>, unterminated quotes or braces,
/// unsupported modifiers such as <c>${v=x}</c>) or a failed <c>${v?message}</c> check.</summary>
public sealed class ShellExpansionException : Exception
{
    public ShellExpansionException(string word, string reason)
        : base($"failed to process {GoQuote(word)}: {reason}")
    {
        Word = word;
        Reason = reason;
    }

    /// <summary>The word as it was given to the lexer.</summary>
    public string Word { get; }

    /// <summary>What went wrong, without the word (e.g. <c>VAR: must be set</c>).</summary>
    public string Reason { get; }

    // Same shape as BuildKit's message (Go's %q), so users see the familiar text.
    private static string GoQuote(string text)
    {
        var builder = new System.Text.StringBuilder(text.Length + 2);
        builder.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (char.IsControl(c))
                    {
                        builder.Append(c < 0x100 ? $"\\x{(int)c:x2}" : $"\\u{(int)c:x4}");
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        builder.Append('"');
        return builder.ToString();
    }
}
