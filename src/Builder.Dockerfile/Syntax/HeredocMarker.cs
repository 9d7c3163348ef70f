using System.Text.RegularExpressions;
using Builder.Dockerfile.Shell;

namespace Builder.Dockerfile.Syntax;

/// <summary>
/// A heredoc opener such as <c>&lt;&lt;EOF</c>, <c>3&lt;&lt;-'END'</c>: its terminator name, file descriptor,
/// whether the body is expanded (no part of the name was quoted) and whether leading tabs are stripped.
/// </summary>
public sealed partial record HeredocMarker(string Name, int FileDescriptor, bool Expand, bool Chomp)
{
    [GeneratedRegex(@"^(\d*)<<(-?)\s*([^<]*)$")]
    private static partial Regex MarkerPattern();

    [GeneratedRegex(@"^\d*<<-?$")]
    private static partial Regex BareOpener();

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
        var words = NameWords(rest, ShellLexerOptions.SkipUnsetEnv);
        if (words.Count != 1)
        {
            return null;
        }
        var raw = NameWords(rest, ShellLexerOptions.SkipUnsetEnv | ShellLexerOptions.RawQuotes);
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
    public static IReadOnlyList<HeredocMarker> FindInLine(string line)
    {
        IReadOnlyList<string> words;
        try
        {
            words = new ShellLexer('\\', ShellLexerOptions.RawQuotes | ShellLexerOptions.RawEscapes | ShellLexerOptions.SkipUnsetEnv)
                .ProcessWords(line, Empty);
        }
        catch (ShellExpansionException)
        {
            return []; // BuildKit ignores a line it cannot split here; the instruction fails later if it must
        }
        var markers = new List<HeredocMarker>();
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            // `<< EOF` and `<<- EOF`: the name may follow the opener after blanks.
            if (BareOpener().IsMatch(word) && i + 1 < words.Count)
            {
                word += " " + words[++i];
            }
            if (Parse(word) is { } marker)
            {
                markers.Add(marker);
            }
        }
        return markers;
    }

    private static readonly IReadOnlyDictionary<string, string> Empty = System.Collections.Immutable.ImmutableDictionary<string, string>.Empty;

    private static IReadOnlyList<string> NameWords(string text, ShellLexerOptions options)
    {
        try
        {
            return new ShellLexer('\\', options).ProcessWords(text, Empty);
        }
        catch (ShellExpansionException e)
        {
            throw new SyntaxError(e.Message);
        }
    }

    private static int CountQuotes(string s) => s.Count(c => c is '\'' or '"');
}
