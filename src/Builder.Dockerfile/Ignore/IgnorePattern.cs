using Builder.Dockerfile.Text;

namespace Builder.Dockerfile.Ignore;

/// <summary>
/// One cleaned .dockerignore pattern with moby/patternmatcher's matching rules: Go <c>filepath.Match</c> syntax
/// (<c>*</c> and <c>?</c> never match <c>/</c>, <c>[a-z]</c> / <c>[^a-z]</c> classes, <c>\</c> escapes) plus
/// <c>**</c> for any number of directories. Matching is against the whole slash-separated relative path.
/// </summary>
/// <remarks>
/// moby decides how to match from the pattern's shape, and the shortcuts are observable, so they are kept:
/// a pattern without wildcards is compared as a string (so a <c>^</c> in it is literal); <c>prefix**</c> is a
/// string-prefix test; a pattern starting with <c>**</c> and otherwise wildcard-free is a string-suffix test
/// (<c>**/foo</c> matches <c>foo</c> and <c>a/b/foo</c>; <c>**foo</c> also matches <c>barfoo</c>). Everything else
/// follows moby's translation to a Go regular expression, including that <c>**</c> there does not match a line
/// feed and that a <c>^</c> outside brackets anchors at the start of the path.
/// Not reproduced, because they come from moby pasting pattern text into a regex unchecked rather than from
/// any documented rule: <c>*</c> or <c>?</c> inside brackets (literal members here), backslash-letter escapes
/// such as <c>\d</c> or <c>\n</c> (the letter itself here) and POSIX classes like <c>[[:alpha:]]</c>.
/// </remarks>
public sealed class IgnorePattern
{
    private readonly Shape shape;
    private readonly Token[] tokens;

    internal IgnorePattern(string text, bool isException)
    {
        Text = text;
        IsException = isException;
        (shape, tokens) = Compile(CodePoints.Decode(text));
    }

    private enum Shape : byte
    {
        Exact,
        Prefix,
        Suffix,
        Glob,
    }

    private enum Kind : byte
    {
        Literal,
        AnyCharacter,
        AnyCharacters,
        AnyDirectories,
        AnyTrailing,
        Class,
        StartAnchor,
    }

    /// <summary>The cleaned pattern, without the leading <c>!</c> of an exception.</summary>
    public string Text { get; }

    /// <summary>True for <c>!pattern</c> lines, which re-include what earlier lines excluded.</summary>
    public bool IsException { get; }

    /// <summary>Whether the pattern matches <paramref name="path"/> itself (parents are not considered here).</summary>
    public bool Matches(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        switch (shape)
        {
            case Shape.Exact:
                return path == Text;
            case Shape.Prefix:
                return path.StartsWith(Text[..^2], StringComparison.Ordinal);
            case Shape.Suffix:
                var suffix = Text[2..];
                return path.EndsWith(suffix, StringComparison.Ordinal)
                    || (suffix.StartsWith('/') && path == suffix[1..]);
            default:
                return MatchesGlob(CodePoints.Decode(path));
        }
    }

    public override string ToString() => IsException ? "!" + Text : Text;

    /// <summary>Whether <paramref name="pattern"/> is valid Go <c>filepath.Match</c> syntax, as moby requires.</summary>
    internal static string? SyntaxError(string pattern)
    {
        var source = CodePoints.Decode(pattern);
        var i = 0;
        while (i < source.Length)
        {
            var ch = source[i++];
            if (ch == '\\')
            {
                if (i == source.Length)
                {
                    return "syntax error in pattern (trailing escape)";
                }

                i++;
            }
            else if (ch == '[')
            {
                if (ReadClass(source, ref i, out _) is null)
                {
                    return "syntax error in pattern (bad character class)";
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Reads a validated-or-not bracket class after its <c>[</c>: optional <c>^</c>, one or more characters or
    /// <c>lo-hi</c> ranges (<c>\</c> escapes, unescaped <c>-</c> and <c>]</c> not allowed), then <c>]</c>.
    /// Returns null when malformed, like Go's <c>filepath.Match</c>; reversed ranges are rejected too, as the
    /// Go regular expression moby builds from them fails to compile.
    /// </summary>
    private static (int Lo, int Hi)[]? ReadClass(int[] source, ref int i, out bool negated)
    {
        negated = i < source.Length && source[i] == '^';
        if (negated)
        {
            i++;
        }

        var ranges = new List<(int, int)>();
        while (true)
        {
            if (i < source.Length && source[i] == ']' && ranges.Count > 0)
            {
                i++;
                return [.. ranges];
            }

            if (!ReadClassCharacter(source, ref i, out var lo))
            {
                return null;
            }

            var hi = lo;
            if (source[i] == '-')
            {
                i++;
                if (!ReadClassCharacter(source, ref i, out hi) || hi < lo)
                {
                    return null;
                }
            }

            ranges.Add((lo, hi));
        }
    }

    private static bool ReadClassCharacter(int[] source, ref int i, out int character)
    {
        character = 0;
        if (i >= source.Length || source[i] is '-' or ']')
        {
            return false;
        }

        if (source[i] == '\\' && ++i >= source.Length)
        {
            return false;
        }

        character = source[i++];

        // Go requires more pattern after a class character: at least the closing bracket.
        return i < source.Length;
    }

    private static (Shape, Token[]) Compile(int[] source)
    {
        var shape = Shape.Exact;
        var tokens = new List<Token>();
        var i = 0;
        for (var step = 0; i < source.Length; step++)
        {
            var ch = source[i++];
            switch (ch)
            {
                case '*' when i < source.Length && source[i] == '*':
                    i++;

                    // `**/` is the same as `**`.
                    if (i < source.Length && source[i] == '/')
                    {
                        i++;
                    }

                    if (i == source.Length)
                    {
                        // Trailing `**`: everything below; a plain prefix test if nothing before needed a regex.
                        if (shape == Shape.Exact)
                        {
                            shape = Shape.Prefix;
                        }
                        else
                        {
                            tokens.Add(new Token(Kind.AnyTrailing));
                            shape = Shape.Glob;
                        }
                    }
                    else
                    {
                        tokens.Add(new Token(Kind.AnyDirectories));
                        shape = Shape.Glob;
                    }

                    if (step == 0)
                    {
                        shape = Shape.Suffix;
                    }

                    break;
                case '*':
                    tokens.Add(new Token(Kind.AnyCharacters));
                    shape = Shape.Glob;
                    break;
                case '?':
                    tokens.Add(new Token(Kind.AnyCharacter));
                    shape = Shape.Glob;
                    break;
                case '\\' when i < source.Length:
                    tokens.Add(new Token(Kind.Literal, source[i++]));
                    shape = Shape.Glob;
                    break;
                case '[':
                    var ranges = ReadClass(source, ref i, out var negated)
                        ?? throw new InvalidOperationException("pattern syntax is checked before compiling");
                    tokens.Add(new Token(Kind.Class, Negated: negated, Ranges: ranges));
                    shape = Shape.Glob;
                    break;
                case ']':
                    tokens.Add(new Token(Kind.Literal, ch));
                    shape = Shape.Glob;
                    break;
                case '^':
                    // Only a regex-shaped pattern treats it as an anchor; string shapes compare it literally.
                    tokens.Add(new Token(Kind.StartAnchor));
                    break;
                default:
                    tokens.Add(new Token(Kind.Literal, ch));
                    break;
            }
        }

        return (shape, [.. tokens]);
    }

    /// <summary>Whole-path match of the token list, dynamic programming from the last token backwards.</summary>
    private bool MatchesGlob(int[] path)
    {
        var length = path.Length;

        // next[t]: tokens after the current one match path[t..] completely.
        var next = new bool[length + 1];
        var current = new bool[length + 1];
        next[length] = true;

        for (var p = tokens.Length - 1; p >= 0; p--)
        {
            var token = tokens[p];

            // For `**/` (Go `(.*/)?`): path[t..] starts a line-feed-free run ending in '/' after which the rest matches.
            var directoryRun = false;
            for (var t = length; t >= 0; t--)
            {
                var has = t < length;
                var ch = has ? path[t] : 0;
                switch (token.Kind)
                {
                    case Kind.Literal:
                        current[t] = has && ch == token.CodePoint && next[t + 1];
                        break;
                    case Kind.AnyCharacter:
                        current[t] = has && ch != '/' && next[t + 1];
                        break;
                    case Kind.AnyCharacters:
                        current[t] = next[t] || (has && ch != '/' && current[t + 1]);
                        break;
                    case Kind.AnyTrailing:
                        // Go's '.' does not match a line feed.
                        current[t] = next[t] || (has && ch != '\n' && current[t + 1]);
                        break;
                    case Kind.AnyDirectories:
                        directoryRun = has && ch != '\n' && ((ch == '/' && next[t + 1]) || directoryRun);
                        current[t] = next[t] || directoryRun;
                        break;
                    case Kind.Class:
                        current[t] = has && token.ClassMatches(ch) && next[t + 1];
                        break;
                    default:
                        current[t] = t == 0 && next[t];
                        break;
                }
            }

            (next, current) = (current, next);
        }

        return next[0];
    }

    private readonly record struct Token(Kind Kind, int CodePoint = 0, bool Negated = false, (int Lo, int Hi)[]? Ranges = null)
    {
        public bool ClassMatches(int ch)
        {
            var inside = false;
            foreach (var (lo, hi) in Ranges!)
            {
                if (lo <= ch && ch <= hi)
                {
                    inside = true;
                    break;
                }
            }

            return inside != Negated;
        }
    }
}
