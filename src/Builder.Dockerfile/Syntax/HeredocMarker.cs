using System.Text;
using System.Text.RegularExpressions;

namespace Builder.Dockerfile.Syntax;

/// <summary>
/// A heredoc opener such as <c>&lt;&lt;EOF</c>, <c>3&lt;&lt;-'END'</c>: its terminator name, file descriptor,
/// whether the body is expanded (no part of the name was quoted) and whether leading tabs are stripped.
/// </summary>
public sealed partial record HeredocMarker(string Name, int FileDescriptor, bool Expand, bool Chomp)
{
    [GeneratedRegex(@"^(\d*)<<(-?)\s*([^<]*)$")]
    private static partial Regex MarkerPattern();

    [GeneratedRegex(@"^\t+", RegexOptions.Multiline)]
    private static partial Regex LeadingTabs();

    /// <summary>Removes the leading tabs of every line, as <c>&lt;&lt;-</c> asks.</summary>
    public static string StripLeadingTabs(string content) => LeadingTabs().Replace(content, string.Empty);

    /// <summary>
    /// Reads one word as a heredoc opener. Null when it is not one (including <c>&lt;&lt;</c> with no name or a
    /// name of several words); a <see cref="SyntaxError"/> when its quotes are unbalanced.
    /// </summary>
    public static HeredocMarker? Parse(string word)
    {
        var match = MarkerPattern().Match(word);
        if (!match.Success || match.Groups[3].Length == 0)
        {
            return null;
        }
        var rest = match.Groups[3].Value;
        var words = HeredocWords.Split(rest, keepQuotes: false);
        if (words.Count != 1)
        {
            return null;
        }
        var raw = HeredocWords.Split(rest, keepQuotes: true);
        if (raw.Count != 1)
        {
            throw new SyntaxError($"internal lexing of heredoc produced inconsistent results: {rest}");
        }
        var fileDescriptor = match.Groups[1].Length == 0 ? 0 : (int)Math.Min(int.MaxValue, ulong.TryParse(match.Groups[1].Value, out var fd) ? fd : 0);
        // A quote that survives unquoting was escaped; one that disappears was quoting part of the name.
        var expand = CountQuotes(words[0]) == CountQuotes(raw[0]);
        return new HeredocMarker(words[0], fileDescriptor, expand, match.Groups[2].Value == "-");
    }

    /// <summary>The heredoc openers in a whole instruction line, in order.</summary>
    public static IReadOnlyList<HeredocMarker> FindInLine(string line) =>
        HeredocWords.SplitLine(line).Select(Parse).OfType<HeredocMarker>().ToList();

    private static int CountQuotes(string s) => s.Count(c => c is '\'' or '"');
}

/// <summary>Word splitting for heredoc detection: shell quoting with a backslash escape, no variables expanded.</summary>
internal static class HeredocWords
{
    /// <summary>Words of a whole line, quotes and escapes kept; <c>&lt;&lt;</c> takes the blanks after it.</summary>
    public static IReadOnlyList<string> SplitLine(string line) => Split(line, keepQuotes: true, keepEscapes: true, joinHeredoc: true);

    public static IReadOnlyList<string> Split(string text, bool keepQuotes) => Split(text, keepQuotes, keepEscapes: false, joinHeredoc: false);

    private static List<string> Split(string text, bool keepQuotes, bool keepEscapes, bool joinHeredoc)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is ' ' or '\t' or '\n' or '\r')
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
                continue;
            }
            inWord = true;
            switch (c)
            {
                case '\\':
                    if (i + 1 < text.Length)
                    {
                        if (keepEscapes)
                        {
                            word.Append(c);
                        }
                        word.Append(text[++i]);
                    }
                    break;
                case '\'':
                {
                    var close = text.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        throw new SyntaxError("unexpected end of statement while looking for matching single-quote");
                    }
                    word.Append(keepQuotes ? text[i..(close + 1)] : text[(i + 1)..close]);
                    i = close;
                    break;
                }
                case '"':
                {
                    if (keepQuotes)
                    {
                        word.Append(c);
                    }
                    i++;
                    while (i < text.Length && text[i] != '"')
                    {
                        if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$')
                        {
                            if (keepEscapes)
                            {
                                word.Append('\\');
                            }
                            i++;
                        }
                        word.Append(text[i++]);
                    }
                    if (i >= text.Length)
                    {
                        throw new SyntaxError("unexpected end of statement while looking for matching double-quote");
                    }
                    if (keepQuotes)
                    {
                        word.Append('"');
                    }
                    break;
                }
                case '<' when joinHeredoc && i + 1 < text.Length && text[i + 1] == '<':
                    word.Append("<<");
                    i += 2;
                    if (i < text.Length && text[i] == '-')
                    {
                        word.Append('-');
                        i++;
                    }
                    while (i < text.Length && text[i] is ' ' or '\t')
                    {
                        word.Append(text[i++]);
                    }
                    i--;
                    break;
                default:
                    word.Append(c);
                    break;
            }
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        return words;
    }
}
