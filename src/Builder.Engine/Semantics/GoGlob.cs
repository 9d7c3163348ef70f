using System.Text;
using System.Text.RegularExpressions;

namespace Builder.Engine.Semantics;

/// <summary>Go's <c>filepath.Match</c> for one path segment (what COPY wildcards use): <c>* ? [a-z] [^x] \c</c>.</summary>
public static class GoGlob
{
    public static bool HasWildcards(string pattern) => pattern.IndexOfAny(['*', '?', '[']) >= 0;

    public static Regex Compile(string segment)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            switch (c)
            {
                case '*':
                    regex.Append("[^/]*");
                    break;
                case '?':
                    regex.Append("[^/]");
                    break;
                case '\\' when i + 1 < segment.Length:
                    regex.Append(Regex.Escape(segment[++i].ToString()));
                    break;
                case '[':
                    var close = segment.IndexOf(']', i + 1);
                    if (close < 0)
                    {
                        throw BadPattern(segment);
                    }
                    var body = segment[(i + 1)..close];
                    var negated = body.StartsWith('^');
                    regex.Append('[').Append(negated ? "^" : "").Append(body[(negated ? 1 : 0)..].Replace("\\", "\\\\", StringComparison.Ordinal)).Append(']');
                    i = close;
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        try
        {
            return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant);
        }
        catch (ArgumentException)
        {
            // A class .NET cannot compile ([] or [z-a]) is one Go rejects too.
            throw BadPattern(segment);
        }
    }

    /// <summary>Go's filepath.ErrBadPattern, naming the source pattern: a user's mistake, not a bug.</summary>
    private static BuildException BadPattern(string segment) => new($"syntax error in pattern \"{segment}\"");
}
