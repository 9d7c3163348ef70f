using System.Diagnostics;
using System.Text;
using Builder.Dockerfile.Text;

namespace Builder.Dockerfile.Shell;

/// <summary>
/// The wildcard patterns of <c>${v#p}</c>, <c>${v%p}</c> and <c>${v/p/r}</c> as BuildKit defines them:
/// <c>*</c> is any string, <c>?</c> any one character, <c>\*</c> <c>\?</c> <c>\\</c> are literals, <c>\}</c> and
/// <c>\/</c> are the plain characters (escaped only to get past the <c>${}</c> syntax), and any other backslash
/// escape is an error. Bracket expressions are not supported: <c>[</c> is a literal, as in BuildKit.
/// </summary>
/// <remarks>
/// BuildKit translates a pattern into a Go regular expression (lazy <c>.*?</c> for the shortest match, greedy
/// <c>.*</c> for the longest) and takes the leftmost-first match. This type gives the same answers without a
/// regex engine, including the regex details users can observe: a wildcard never matches a line feed (Go's
/// <c>.</c>), and <c>?</c> consumes one whole code point.
/// </remarks>
internal sealed class ShellPattern
{
    private const int NoMatch = -1;

    private readonly Token[] tokens;
    private readonly bool reversed;

    private ShellPattern(Token[] tokens, bool reversed)
    {
        this.tokens = tokens;
        this.reversed = reversed;
    }

    private enum Kind : byte
    {
        Literal,
        AnyCharacter,
        AnyString,
    }

    /// <exception cref="FormatException">The pattern has an escape other than <c>\* \? \\ \} \/</c>.</exception>
    public static ShellPattern Compile(string pattern) => new(Parse(pattern), reversed: false);

    /// <summary>
    /// Compiles a pattern for <see cref="RemoveSuffix"/>: the shortest or longest rightmost match is found as
    /// the leftmost match in the reversed value, so the pattern is reversed too (keeping <c>\x</c> pairs in order).
    /// </summary>
    /// <exception cref="FormatException">The reversed pattern has an invalid escape.</exception>
    public static ShellPattern CompileForSuffix(string pattern) => new(Parse(ReverseKeepingEscapes(pattern)), reversed: true);

    /// <summary>Removes the shortest (or longest) prefix of <paramref name="value"/> that matches.</summary>
    public string RemovePrefix(string value, bool longest)
    {
        Debug.Assert(!reversed, "compiled for suffixes");
        var text = CodePoints.Decode(value);
        var end = MatchEnds(text, longest)[0];
        return end == NoMatch ? value : CodePoints.Encode(text.AsSpan(end));
    }

    /// <summary>Removes the shortest (or longest) suffix of <paramref name="value"/> that matches.</summary>
    public string RemoveSuffix(string value, bool longest)
    {
        Debug.Assert(reversed, "compiled for prefixes");
        var text = CodePoints.Decode(value);
        Array.Reverse(text);
        var end = MatchEnds(text, longest)[0];
        if (end == NoMatch)
        {
            return value;
        }

        // Dropping `end` code points from the reversed text drops them from the end of the original.
        var kept = text.AsSpan(end).ToArray();
        Array.Reverse(kept);
        return CodePoints.Encode(kept);
    }

    /// <summary>Replaces the leftmost longest match, if any.</summary>
    public string ReplaceFirst(string value, string replacement)
    {
        Debug.Assert(!reversed, "compiled for suffixes");
        var text = CodePoints.Decode(value);
        var ends = MatchEnds(text, greedy: true);
        for (var start = 0; start <= text.Length; start++)
        {
            if (ends[start] != NoMatch)
            {
                var builder = new StringBuilder();
                CodePoints.Append(builder, text.AsSpan(0, start));
                builder.Append(replacement);
                CodePoints.Append(builder, text.AsSpan(ends[start]));
                return builder.ToString();
            }
        }

        return value;
    }

    /// <summary>
    /// Replaces every leftmost longest match, scanning left to right, with the rules of Go's
    /// <c>Regexp.ReplaceAllString</c> that BuildKit uses: an empty match right after a previous match is not
    /// replaced, the scan always advances at least one character, and <c>$</c> references in the replacement
    /// are expanded (see <see cref="GoReplacementTemplate"/>).
    /// </summary>
    public string ReplaceAll(string value, string replacement)
    {
        Debug.Assert(!reversed, "compiled for suffixes");
        var text = CodePoints.Decode(value);
        var ends = MatchEnds(text, greedy: true);
        var builder = new StringBuilder();
        var copied = 0;
        var searchFrom = 0;
        while (searchFrom <= text.Length)
        {
            var start = searchFrom;
            while (start <= text.Length && ends[start] == NoMatch)
            {
                start++;
            }

            if (start > text.Length)
            {
                break;
            }

            var end = ends[start];
            CodePoints.Append(builder, text.AsSpan(copied, start - copied));
            if (end > copied || start == 0)
            {
                GoReplacementTemplate.Expand(builder, replacement, CodePoints.Encode(text.AsSpan(start, end - start)));
            }

            copied = end;
            searchFrom = searchFrom + 1 > end ? searchFrom + 1 : end;
        }

        CodePoints.Append(builder, text.AsSpan(copied));
        return builder.ToString();
    }

    private static Token[] Parse(string pattern)
    {
        var source = CodePoints.Decode(pattern);
        var tokens = new List<Token>(source.Length);

        // BuildKit scans the pattern with Go's text/scanner, which drops a leading byte order mark.
        var i = source.Length > 0 && source[0] == '\uFEFF' ? 1 : 0;
        while (i < source.Length)
        {
            var ch = source[i++];
            switch (ch)
            {
                case '*':
                    tokens.Add(new Token(Kind.AnyString));
                    break;
                case '?':
                    tokens.Add(new Token(Kind.AnyCharacter));
                    break;
                case '\\':
                    if (i == source.Length)
                    {
                        throw new FormatException("invalid escape '\\' at the end of the pattern");
                    }

                    // `}` and `/` are escaped only to get through ${...}; the next round takes them literally.
                    if (source[i] is '}' or '/')
                    {
                        break;
                    }

                    var escaped = source[i++];
                    if (escaped is not ('*' or '?' or '\\'))
                    {
                        throw new FormatException($"invalid escape '\\{CodePoints.ToString(escaped)}'");
                    }

                    tokens.Add(new Token(Kind.Literal, escaped));
                    break;
                default:
                    tokens.Add(new Token(Kind.Literal, ch));
                    break;
            }
        }

        return [.. tokens];
    }

    private static string ReverseKeepingEscapes(string pattern)
    {
        var source = CodePoints.Decode(pattern);
        var result = new int[source.Length];
        var last = source.Length - 1;
        for (var i = 0; i <= last;)
        {
            if (source[i] == '\\' && i != last)
            {
                result[last - i - 1] = '\\';
                result[last - i] = source[i + 1];
                i += 2;
            }
            else
            {
                result[last - i] = source[i];
                i++;
            }
        }

        return CodePoints.Encode(result);
    }

    /// <summary>
    /// For every start position, where the match a backtracking regex engine would prefer ends (lazy stars
    /// try the fewest characters first, greedy stars the most), or <see cref="NoMatch"/>.
    /// Dynamic programming from the last token backwards keeps this linear in pattern × text.
    /// </summary>
    private int[] MatchEnds(int[] text, bool greedy)
    {
        var length = text.Length;
        var next = new int[length + 1];
        var current = new int[length + 1];

        // Past the last token every position is a match of nothing more.
        for (var t = 0; t <= length; t++)
        {
            next[t] = t;
        }

        for (var p = tokens.Length - 1; p >= 0; p--)
        {
            var token = tokens[p];
            for (var t = length; t >= 0; t--)
            {
                // Go's '.' (behind both wildcards) does not match a line feed.
                var canConsume = t < length && text[t] != '\n';
                current[t] = token.Kind switch
                {
                    Kind.Literal => t < length && text[t] == token.CodePoint ? next[t + 1] : NoMatch,
                    Kind.AnyCharacter => canConsume ? next[t + 1] : NoMatch,
                    _ when greedy => canConsume && current[t + 1] != NoMatch ? current[t + 1] : next[t],
                    _ => next[t] != NoMatch ? next[t] : canConsume ? current[t + 1] : NoMatch,
                };
            }

            (next, current) = (current, next);
        }

        return next;
    }

    private readonly record struct Token(Kind Kind, int CodePoint = 0);
}
