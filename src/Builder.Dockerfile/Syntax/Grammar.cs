using System.Globalization;
using System.Text;
using Sprache;

namespace Builder.Dockerfile.Syntax;

/// <summary>A word found in a line, with its offset and length in that line.</summary>
internal readonly record struct Token(string Value, int Offset, int Length);

/// <summary>One element of a JSON array: its decoded text when it is a string.</summary>
internal readonly record struct JsonArrayItem(string? Text, int Offset, int Length)
{
    public bool IsString => Text is not null;
}

/// <summary>
/// The Sprache grammars for the pieces of a Dockerfile line: parser directives, builder flags, JSON (exec form)
/// arrays, and the quote-aware word splitting BuildKit applies to ENV, LABEL and ARG. The line-level work
/// (continuations, comments, heredoc bodies) is stateful and lives in <see cref="DockerfileParser"/>.
/// </summary>
internal static class Grammar
{
    // ---- parser directives: `name = value` after the comment marker ----------------------------------------

    private static readonly Parser<char> RegexSpace = Parse.Char(GoText.IsRegexSpace, "white space");

    private static readonly Parser<(string Name, string Value)> DirectiveParser =
        from first in Parse.Char(IsAsciiLetter, "letter")
        from more in Parse.Char(c => IsAsciiLetter(c) || char.IsAsciiDigit(c), "letter or digit").Many().Text()
        from s2 in RegexSpace.Many()
        from eq in Parse.Char('=')
        from rest in Parse.AnyChar.Many().Text()
        select (first + more, rest);

    /// <summary>
    /// Matches <c>^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$</c> on the text after a comment marker and its
    /// leading blanks: the name and the trimmed value.
    /// </summary>
    public static (string Name, string Value)? Directive(string text)
    {
        var result = DirectiveParser.End().TryParse(text);
        if (!result.WasSuccessful || result.Value.Value.Length == 0)
        {
            return null;
        }
        var rest = result.Value.Value;
        var start = 0;
        while (start < rest.Length && GoText.IsRegexSpace(rest[start]))
        {
            start++;
        }
        var end = rest.Length;
        while (end > start && GoText.IsRegexSpace(rest[end - 1]))
        {
            end--;
        }
        // The lazy (.+?) takes at least one character: an all-blank value is its last blank.
        var value = end > start ? rest[start..end] : rest[^1..];
        return (result.Value.Name, value);
    }

    private static bool IsAsciiLetter(char c) => char.IsAsciiLetter(c);

    // ---- builder flags: `--name=value` words before the arguments ------------------------------------------

    private static readonly Parser<char> Space = Parse.Char(GoText.IsSpace, "white space");

    // Inside flags, quotes are removed and a backslash escapes the next character (BuildKit hard-codes '\').
    private static readonly Parser<string> FlagEscape =
        Parse.Char('\\').Then(_ => Parse.AnyChar.Select(c => c.ToString()).Or(Parse.Return(string.Empty)));

    private static Parser<string> FlagQuoted(char quote) =>
        from open in Parse.Char(quote)
        from body in FlagEscape.Or(Parse.CharExcept(quote).Select(c => c.ToString())).Many()
        from close in Parse.Char(quote).Optional()
        select string.Concat(body);

    private static readonly Parser<string> FlagPlain =
        Parse.Char(c => !GoText.IsSpace(c) && c is not ('"' or '\'' or '\\'), "flag character").AtLeastOnce().Text();

    private static readonly Parser<string> FlagWord =
        from start in Parse.String("--").Text().Peek()
        from parts in FlagPlain.Or(FlagEscape).Or(FlagQuoted('"')).Or(FlagQuoted('\'')).AtLeastOnce()
        select string.Concat(parts);

    private static readonly Parser<Token> Flag =
        from spaces in Space.Many()
        from word in FlagWord.Span()
        where word.Value != "--"
        select new Token(word.Value, word.Start.Pos, word.Length);

    private static readonly Parser<int> FlagTerminator =
        from spaces in Space.Many()
        from word in FlagWord.Span()
        where word.Value == "--"
        select word.End.Pos;

    private static readonly Parser<(IEnumerable<Token> Flags, int ArgumentsOffset)> FlagsSection =
        from flags in Flag.Many()
        from end in Parse.Return(0).Span()
        from terminator in FlagTerminator.Optional()
        select (flags, terminator.GetOrElse(end.Start.Pos));

    /// <summary>
    /// Splits leading <c>--flag</c> words off <paramref name="text"/>: the flags, and where the arguments begin.
    /// A bare <c>--</c> ends the flags and is dropped.
    /// </summary>
    public static (IReadOnlyList<Token> Flags, int ArgumentsOffset) Flags(string text)
    {
        var result = FlagsSection(new Input(text));
        var (flags, offset) = result.Value;
        return (flags.ToList(), offset);
    }

    // ---- parseWords: split on white space, quotes and escapes kept -----------------------------------------

    private sealed record WordPart(string Text, bool Quoted);

    private static Parser<WordPart> KeptEscape(char escape) =>
        Parse.Char(escape).Then(e => Parse.AnyChar.Select(c => new WordPart($"{e}{c}", false))
            .Or(Parse.Return(new WordPart(string.Empty, false))));

    private static Parser<WordPart> KeptPlain(char escape) =>
        Parse.Char(c => !GoText.IsSpace(c) && c is not ('"' or '\'') && c != escape, "word character")
            .AtLeastOnce().Text().Select(t => new WordPart(t, false));

    private static Parser<WordPart> KeptDoubleQuoted(char escape) =>
        from open in Parse.Char('"')
        from body in Parse.Char(escape).Then(e => Parse.AnyChar.Select(c => $"{e}{c}").Or(Parse.Return(string.Empty)))
            .Or(Parse.Char(c => c != '"' && c != escape, "character").AtLeastOnce().Text())
            .Many()
        from close in Parse.Char('"').Optional()
        select new WordPart("\"" + string.Concat(body) + (close.IsDefined ? "\"" : string.Empty), true);

    private static readonly Parser<WordPart> KeptSingleQuoted =
        from open in Parse.Char('\'')
        from body in Parse.CharExcept('\'').Many().Text()
        from close in Parse.Char('\'').Optional()
        select new WordPart("'" + body + (close.IsDefined ? "'" : string.Empty), true);

    private static Parser<IEnumerable<Token>> KeptWords(char escape)
    {
        var part = KeptPlain(escape).Or(KeptEscape(escape)).Or(KeptDoubleQuoted(escape)).Or(KeptSingleQuoted);
        var word =
            from spaces in Space.Many()
            from parts in part.AtLeastOnce().Span()
            select parts;
        return
            from words in word.Many()
            from trailing in Space.Many()
            select words
                .Where(w => w.Value.Any(p => p.Quoted || p.Text.Length > 0))
                .Select(w => new Token(string.Concat(w.Value.Select(p => p.Text)), w.Start.Pos, w.Length));
    }

    private static readonly Parser<IEnumerable<Token>> BackslashWords = KeptWords('\\');
    private static readonly Parser<IEnumerable<Token>> BacktickWords = KeptWords('`');

    /// <summary>BuildKit's parseWords: white-space separated words, quotes and escape characters kept.</summary>
    public static IReadOnlyList<Token> Words(string text, char escape) =>
        (escape == '`' ? BacktickWords : BackslashWords).Parse(text).ToList();

    // ---- JSON arrays (exec form) -----------------------------------------------------------------------------

    private static readonly Parser<char> JsonSpace = Parse.Chars(' ', '\t', '\n', '\r');

    private static Parser<T> JsonToken<T>(Parser<T> parser) =>
        from leading in JsonSpace.Many()
        from value in parser
        select value;

    private static readonly Parser<string> HexQuad =
        Parse.Char(char.IsAsciiHexDigit, "hex digit").Repeat(4).Text();

    private static readonly Parser<int> UnicodeEscape =
        from u in Parse.Char('u')
        from hex in HexQuad
        select int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static readonly Parser<object> JsonEscape =
        Parse.Char('\\').Then(_ =>
            Parse.Char('"').Return((object)'"')
                .Or(Parse.Char('\\').Return((object)'\\'))
                .Or(Parse.Char('/').Return((object)'/'))
                .Or(Parse.Char('b').Return((object)'\b'))
                .Or(Parse.Char('f').Return((object)'\f'))
                .Or(Parse.Char('n').Return((object)'\n'))
                .Or(Parse.Char('r').Return((object)'\r'))
                .Or(Parse.Char('t').Return((object)'\t'))
                .Or(UnicodeEscape.Select(code => (object)code)));

    private static readonly Parser<string> JsonString =
        from open in Parse.Char('"')
        from parts in JsonEscape.Or(Parse.Char(c => c >= ' ' && c is not ('"' or '\\'), "string character").Select(c => (object)c)).Many()
        from close in Parse.Char('"')
        select DecodeJsonString(parts);

    // Go decodes \uXXXX surrogate pairs together and turns a lone surrogate into U+FFFD.
    private static string DecodeJsonString(IEnumerable<object> parts)
    {
        var list = parts.ToList();
        var sb = new StringBuilder(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is char c)
            {
                sb.Append(c);
                continue;
            }
            var code = (int)list[i];
            if (code is >= 0xD800 and < 0xDC00 && i + 1 < list.Count && list[i + 1] is int low && low is >= 0xDC00 and < 0xE000)
            {
                sb.Append((char)code).Append((char)low);
                i++;
            }
            else
            {
                sb.Append(code is >= 0xD800 and < 0xE000 ? '\uFFFD' : (char)code);
            }
        }
        return sb.ToString();
    }

    private static readonly Parser<string> Digits = Parse.Char(char.IsAsciiDigit, "digit").AtLeastOnce().Text();

    private static readonly Parser<string> JsonNumber =
        from minus in Parse.Char('-').Optional()
        from integer in Parse.Char('0').Once().Text().Or(
            from first in Parse.Char(c => c is >= '1' and <= '9', "digit")
            from rest in Parse.Char(char.IsAsciiDigit, "digit").Many().Text()
            select first + rest)
        from fraction in Parse.Char('.').Then(_ => Digits).Optional()
        from exponent in (
            from e in Parse.Chars('e', 'E')
            from sign in Parse.Chars('+', '-').Optional()
            from digits in Digits
            select digits).Optional()
        select integer;

    private static readonly Parser<object> JsonValue = Parse.Ref(() =>
        JsonString.Select(s => (object)s)
            .Or(JsonNumber.Return((object)false))
            .Or(JsonObject)
            .Or(JsonArrayValue)
            .Or(Parse.String("true").Return((object)true))
            .Or(Parse.String("false").Return((object)false))
            .Or(Parse.String("null").Return((object)false)));

    private static readonly Parser<object> JsonMember =
        from key in JsonToken(JsonString)
        from colon in JsonToken(Parse.Char(':'))
        from value in JsonToken(JsonValue)
        select value;

    private static readonly Parser<object> JsonObject =
        from open in Parse.Char('{')
        from members in JsonMember.DelimitedBy(JsonToken(Parse.Char(','))).Optional()
        from close in JsonToken(Parse.Char('}'))
        select (object)false;

    private static readonly Parser<object> JsonArrayValue =
        from open in Parse.Char('[')
        from items in JsonToken(JsonValue).DelimitedBy(JsonToken(Parse.Char(','))).Optional()
        from close in JsonToken(Parse.Char(']'))
        select (object)false;

    private static readonly Parser<JsonArrayItem> JsonElementParser =
        from leading in JsonSpace.Many()
        from value in JsonValue.Span()
        select new JsonArrayItem(value.Value as string, value.Start.Pos, value.Length);

    private static readonly Parser<IEnumerable<JsonArrayItem>> TopLevelArray =
        from leading in JsonSpace.Many()
        from open in Parse.Char('[')
        from items in JsonElementParser.DelimitedBy(JsonToken(Parse.Char(','))).Optional()
        from close in JsonToken(Parse.Char(']'))
        select items.GetOrElse([]);

    // Deeper nesting than this is not a command anyone writes; refusing it keeps the recursion bounded.
    private const int MaxJsonDepth = 200;

    /// <summary>
    /// Decodes the first JSON value of <paramref name="text"/> when it is an array, as Go's json.Decoder does
    /// (text after the value is ignored). Null when the text is not a JSON array.
    /// </summary>
    public static IReadOnlyList<JsonArrayItem>? JsonArray(string text)
    {
        if (NestingDepth(text) > MaxJsonDepth)
        {
            return null;
        }
        var result = TopLevelArray.TryParse(text);
        return result.WasSuccessful ? result.Value.ToList() : null;
    }

    private static int NestingDepth(string text)
    {
        int depth = 0, max = 0;
        var inString = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }
                continue;
            }
            switch (c)
            {
                case '"': inString = true; break;
                case '[' or '{': max = Math.Max(max, ++depth); break;
                case ']' or '}': depth--; break;
            }
        }
        return max;
    }

    // ---- small combinators -----------------------------------------------------------------------------------

    /// <summary>Succeeds where <paramref name="parser"/> would, without consuming input.</summary>
    private static Parser<T> Peek<T>(this Parser<T> parser) => input =>
    {
        var result = parser(input);
        return result.WasSuccessful ? Result.Success(result.Value, input) : result;
    };
}
