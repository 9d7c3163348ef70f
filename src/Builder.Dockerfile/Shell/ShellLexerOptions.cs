namespace Builder.Dockerfile.Shell;

/// <summary>Switches that BuildKit's lexer offers for its different callers (heredocs, linting).</summary>
[Flags]
public enum ShellLexerOptions
{
    None = 0,

    /// <summary>Keep quote characters in the output instead of removing them.</summary>
    RawQuotes = 1,

    /// <summary>Keep escape characters in the output instead of removing them.</summary>
    RawEscapes = 2,

    /// <summary>Leave references to unset variables as written (<c>$X</c>, <c>${X:-d}</c>) instead of expanding them.</summary>
    SkipUnsetEnv = 4,

    /// <summary>Treat quote characters as ordinary characters (heredoc bodies).</summary>
    SkipProcessQuotes = 8,
}
