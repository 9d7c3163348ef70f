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
        var result = Run(DirectiveParser.End(), text);
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

    // Sprache's query syntax evaluates every `from` clause after the first at parse time, so each clause below
    // names a parser built once in a field: building combinators per character dominated the parse time.

    // ---- builder flags: `--name=value` words before the arguments ------------------------------------------

    private static readonly Parser<string> Space = Run(GoText.IsSpace, "white space", minimum: 0);
    private static readonly Parser<string> AnyCharText = Parse.AnyChar.Select(c => c.ToString());
    private static readonly Parser<string> EmptyText = Parse.Return(string.Empty);
    private static readonly Parser<string> CharOrNothing = AnyCharText.Or(EmptyText);

    // Inside flags, quotes are removed and a backslash escapes the next character (BuildKit hard-codes '\').
    private static readonly Parser<string> FlagEscape =
        from backslash in Parse.Char('\\')
        from next in CharOrNothing
        select next;

    private static Parser<string> FlagQuoted(char quote)
    {
        var text = Run(c => c != quote && c != '\\', "quoted character");
        var body = Predict(c => c == '\\' ? FlagEscape : c == quote ? null : text, "quoted character").Many();
        var close = Parse.Char(quote).Optional();
        return
            from open in Parse.Char(quote)
            from parts in body
            from end in close
            select string.Concat(parts);
    }

    private static readonly Parser<string> FlagPlain =
        Run(c => !GoText.IsSpace(c) && c is not ('"' or '\'' or '\\'), "flag character");

    private static readonly Parser<string> FlagDoubleQuoted = FlagQuoted('"');
    private static readonly Parser<string> FlagSingleQuoted = FlagQuoted('\'');

    private static readonly Parser<IEnumerable<string>> FlagParts =
        Predict(c => c switch
        {
            '\\' => FlagEscape,
            '"' => FlagDoubleQuoted,
            '\'' => FlagSingleQuoted,
            _ when GoText.IsSpace(c) => null,
            _ => FlagPlain,
        }, "flag character").Some();

    private static readonly Parser<ITextSpan<string>> FlagWord =
        (from start in Literal("--").Peek()
         from parts in FlagParts
         select string.Concat(parts)).Span();

    private static readonly Parser<Token> Flag =
        from spaces in Space
        from word in FlagWord
        where word.Value != "--"
        select new Token(word.Value, word.Start.Pos, word.Length);

    private static readonly Parser<int> FlagTerminator =
        from spaces in Space
        from word in FlagWord
        where word.Value == "--"
        select word.End.Pos;

    private static readonly Parser<int> Here = Parse.Return(0).Span().Select(s => s.Start.Pos);
    private static readonly Parser<IOption<int>> OptionalTerminator = FlagTerminator.Optional();

    private static readonly Parser<(IEnumerable<Token> Flags, int ArgumentsOffset)> FlagsSection =
        from flags in Flag.Many()
        from end in Here
        from terminator in OptionalTerminator
        select (flags, terminator.GetOrElse(end));

    /// <summary>
    /// Splits leading <c>--flag</c> words off <paramref name="text"/>: the flags, and where the arguments begin.
    /// A bare <c>--</c> ends the flags and is dropped.
    /// </summary>
    public static (IReadOnlyList<Token> Flags, int ArgumentsOffset) Flags(string text)
    {
        if (!GoText.TrimLeftSpace(text).StartsWith("--", StringComparison.Ordinal))
        {
            return ([], 0); // no flags: the common case needs no parsing
        }
        var (flags, offset) = Run(FlagsSection, text).Value;
        return (flags.ToList(), offset);
    }

    // ---- parseWords: split on white space, quotes and escapes kept -----------------------------------------

    private sealed record WordPart(string Text, bool Quoted);

    private static readonly Parser<IOption<char>> OptionalDoubleQuote = Parse.Char('"').Optional();
    private static readonly Parser<IOption<char>> OptionalSingleQuote = Parse.Char('\'').Optional();
    private static readonly Parser<string> SingleQuotedBody = Run(c => c != '\'', "character", minimum: 0);

    private static readonly Parser<WordPart> KeptSingleQuoted =
        from open in Parse.Char('\'')
        from body in SingleQuotedBody
        from close in OptionalSingleQuote
        select new WordPart("'" + body + (close.IsDefined ? "'" : string.Empty), true);

    private static Parser<IEnumerable<Token>> KeptWords(char escape)
    {
        // An escape keeps itself and the next character; at the very end it is dropped.
        var escaped =
            from e in Parse.Char(escape)
            from next in CharOrNothing
            select next.Length == 0 ? string.Empty : escape + next;
        var keptEscape = escaped.Select(t => new WordPart(t, false));
        var plain = Run(c => !GoText.IsSpace(c) && c is not ('"' or '\'') && c != escape, "word character")
            .Select(t => new WordPart(t, false));
        var quotedText = Run(c => c != '"' && c != escape, "character");
        var doubleQuotedBody = Predict(c => c == escape ? escaped : c == '"' ? null : quotedText, "character").Many();
        var doubleQuoted =
            from open in Parse.Char('"')
            from body in doubleQuotedBody
            from close in OptionalDoubleQuote
            select new WordPart("\"" + string.Concat(body) + (close.IsDefined ? "\"" : string.Empty), true);
        var parts = Predict(c => c switch
        {
            '"' => doubleQuoted,
            '\'' => KeptSingleQuoted,
            _ when c == escape => keptEscape,
            _ when GoText.IsSpace(c) => null,
            _ => plain,
        }, "word character").Some().Span();
        var word =
            from spaces in Space
            from wordParts in parts
            select wordParts;
        return
            from words in word.Many()
            from trailing in Space
            select words
                .Where(w => w.Value.Any(p => p.Quoted || p.Text.Length > 0))
                .Select(w => new Token(string.Concat(w.Value.Select(p => p.Text)), w.Start.Pos, w.Length));
    }

    private static readonly Parser<IEnumerable<Token>> BackslashWords = KeptWords('\\');
    private static readonly Parser<IEnumerable<Token>> BacktickWords = KeptWords('`');

    /// <summary>BuildKit's parseWords: white-space separated words, quotes and escape characters kept.</summary>
    public static IReadOnlyList<Token> Words(string text, char escape) =>
        Run(escape == '`' ? BacktickWords : BackslashWords, text).Value.ToList();

    // ---- JSON arrays (exec form) -----------------------------------------------------------------------------

    private static readonly Parser<string> JsonSpace = Run(c => c is ' ' or '\t' or '\n' or '\r', "white space", minimum: 0);

    private static Parser<T> JsonToken<T>(Parser<T> parser) =>
        from leading in JsonSpace
        from value in parser
        select value;

    private static readonly Parser<string> HexQuad =
        Parse.Char(char.IsAsciiHexDigit, "hex digit").Repeat(4).Text();

    private static readonly Parser<object> UnicodeEscape =
        from u in Parse.Char('u')
        from hex in HexQuad
        select (object)int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static readonly Parser<object> EscapedJsonChar =
        Parse.Char('"').Return((object)'"')
            .Or(Parse.Char('\\').Return((object)'\\'))
            .Or(Parse.Char('/').Return((object)'/'))
            .Or(Parse.Char('b').Return((object)'\b'))
            .Or(Parse.Char('f').Return((object)'\f'))
            .Or(Parse.Char('n').Return((object)'\n'))
            .Or(Parse.Char('r').Return((object)'\r'))
            .Or(Parse.Char('t').Return((object)'\t'))
            .Or(UnicodeEscape);

    private static readonly Parser<object> JsonEscape =
        from backslash in Parse.Char('\\')
        from value in EscapedJsonChar
        select value;

    private static readonly Parser<object> JsonStringText =
        Run(c => c >= ' ' && c is not ('"' or '\\'), "string character").Select(t => (object)t);

    private static readonly Parser<IEnumerable<object>> JsonStringBody =
        Predict(c => c == '\\' ? JsonEscape : c == '"' ? null : JsonStringText, "string character").Many();

    private static readonly Parser<char> Quote = Parse.Char('"');

    private static readonly Parser<string> JsonString =
        from open in Quote
        from parts in JsonStringBody
        from close in Quote
        select DecodeJsonString(parts);

    // Go decodes \uXXXX surrogate pairs together and turns a lone surrogate into U+FFFD.
    private static string DecodeJsonString(IEnumerable<object> parts)
    {
        var list = parts.ToList();
        var sb = new StringBuilder(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            switch (list[i])
            {
                case char c:
                    sb.Append(c);
                    continue;
                case string text:
                    sb.Append(text);
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

    private static readonly Parser<string> Digits = Run(char.IsAsciiDigit, "digit");
    private static readonly Parser<string> OptionalDigits = Run(char.IsAsciiDigit, "digit", minimum: 0);
    private static readonly Parser<IOption<char>> OptionalMinus = Parse.Char('-').Optional();
    private static readonly Parser<IOption<char>> OptionalSign = Parse.Chars('+', '-').Optional();

    private static readonly Parser<string> JsonInteger =
        Parse.Char('0').Once().Text().Or(
            from first in Parse.Char(c => c is >= '1' and <= '9', "digit")
            from rest in OptionalDigits
            select first + rest);

    private static readonly Parser<IOption<string>> JsonFraction =
        (from dot in Parse.Char('.')
         from digits in Digits
         select digits).Optional();

    private static readonly Parser<IOption<string>> JsonExponent =
        (from e in Parse.Chars('e', 'E')
         from sign in OptionalSign
         from digits in Digits
         select digits).Optional();

    private static readonly Parser<object> JsonNumber =
        from minus in OptionalMinus
        from integer in JsonInteger
        from fraction in JsonFraction
        from exponent in JsonExponent
        select (object)false;

    // Only strings matter to an exec form; every other JSON value is read to be rejected.
    private static readonly Parser<object> JsonStringValue = JsonString.Select(s => (object)s);
    private static readonly Parser<object> JsonTrue = Literal("true").Return((object)false);
    private static readonly Parser<object> JsonFalse = Literal("false").Return((object)false);
    private static readonly Parser<object> JsonNull = Literal("null").Return((object)false);

    private static readonly Parser<object> JsonValue = Predict(c => c switch
    {
        '"' => JsonStringValue,
        '{' => JsonObject,
        '[' => JsonArrayValue,
        't' => JsonTrue,
        'f' => JsonFalse,
        'n' => JsonNull,
        '-' or (>= '0' and <= '9') => JsonNumber,
        _ => null,
    }, "JSON value");

    private static readonly Parser<object> JsonTokenValue = JsonToken(JsonValue);
    private static readonly Parser<string> JsonTokenString = JsonToken(JsonString);
    private static readonly Parser<char> Colon = JsonToken(Parse.Char(':'));
    private static readonly Parser<char> Comma = JsonToken(Parse.Char(','));
    private static readonly Parser<char> CloseBrace = JsonToken(Parse.Char('}'));
    private static readonly Parser<char> CloseBracket = JsonToken(Parse.Char(']'));

    private static readonly Parser<object> JsonMember =
        from key in JsonTokenString
        from colon in Colon
        from value in JsonTokenValue
        select value;

    private static readonly Parser<IOption<IEnumerable<object>>> JsonMembers = JsonMember.Delimited(Comma).Optional();
    private static readonly Parser<IOption<IEnumerable<object>>> JsonItems = JsonTokenValue.Delimited(Comma).Optional();

    private static readonly Parser<object> JsonObject =
        from open in Parse.Char('{')
        from members in JsonMembers
        from close in CloseBrace
        select (object)false;

    private static readonly Parser<object> JsonArrayValue =
        from open in Parse.Char('[')
        from items in JsonItems
        from close in CloseBracket
        select (object)false;

    private static readonly Parser<ITextSpan<object>> JsonValueSpan = JsonValue.Span();

    private static readonly Parser<JsonArrayItem> JsonElementParser =
        from leading in JsonSpace
        from value in JsonValueSpan
        select new JsonArrayItem(value.Value as string, value.Start.Pos, value.Length);

    private static readonly Parser<IOption<IEnumerable<JsonArrayItem>>> TopLevelItems = JsonElementParser.Delimited(Comma).Optional();
    private static readonly Parser<char> OpenBracket = Parse.Char('[');

    private static readonly Parser<IEnumerable<JsonArrayItem>> TopLevelArray =
        from leading in JsonSpace
        from open in OpenBracket
        from items in TopLevelItems
        from close in CloseBracket
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
        var result = Run(TopLevelArray, text);
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

    /// <summary>
    /// A run of characters matching <paramref name="predicate"/>, read in one step: Sprache's per-character
    /// parsers allocate for every character, which dominated the time spent parsing a large Dockerfile.
    /// </summary>
    private static Parser<string> Run(Func<char, bool> predicate, string description, int minimum = 1) => input =>
    {
        var source = input.Source;
        var start = input.Position;
        var end = start;
        while (end < source.Length && predicate(source[end]))
        {
            end++;
        }
        if (end - start < minimum)
        {
            return Result.Failure<string>(input, description, []);
        }
        var rest = end == start ? input : input is SourceInput jumping ? jumping.AdvanceTo(end) : Advance(input, end - start);
        return Result.Success(source[start..end], rest);
    };

    /// <summary>Exactly <paramref name="text"/>; Sprache's String parser allocates per character.</summary>
    private static Parser<string> Literal(string text) => input =>
        input.Source.AsSpan(input.Position).StartsWith(text, StringComparison.Ordinal)
            ? Result.Success(text, input is SourceInput jumping ? jumping.AdvanceTo(input.Position + text.Length) : Advance(input, text.Length))
            : Result.Failure<string>(input, text, []);

    private static IInput Advance(IInput input, int count)
    {
        for (var i = 0; i < count; i++)
        {
            input = input.Advance();
        }
        return input;
    }

    /// <summary>Runs a parser over the whole of <paramref name="text"/>.</summary>
    private static IResult<T> Run<T>(Parser<T> parser, string text) => parser(new SourceInput(text));

    /// <summary>
    /// Chooses the parser from the next character instead of trying alternatives in turn: a failed Sprache
    /// alternative allocates its error, and a word tried four ways at every step allocated a great deal.
    /// </summary>
    private static Parser<T> Predict<T>(Func<char, Parser<T>?> choose, string expected) => input =>
        !input.AtEnd && choose(input.Current) is { } parser ? parser(input) : Result.Failure<T>(input, expected, []);

    /// <summary>One or more, like Sprache's AtLeastOnce, without building parsers while parsing.</summary>
    private static Parser<IEnumerable<T>> Some<T>(this Parser<T> parser)
    {
        var many = parser.Many();
        return input =>
        {
            var result = many(input);
            return result.WasSuccessful && !ReferenceEquals(result.Remainder, input) && result.Value.Any()
                ? result
                : Result.Failure<IEnumerable<T>>(input, "expected at least one", []);
        };
    }

    /// <summary>One or more items separated by <paramref name="separator"/>, built once.</summary>
    private static Parser<IEnumerable<T>> Delimited<T>(this Parser<T> item, Parser<char> separator)
    {
        var tail = (from comma in separator
                    from next in item
                    select next).Many();
        return
            from head in item
            from rest in tail
            select rest.Prepend(head);
    }

    /// <summary>Succeeds where <paramref name="parser"/> would, without consuming input.</summary>
    private static Parser<T> Peek<T>(this Parser<T> parser) => input =>
    {
        var result = parser(input);
        return result.WasSuccessful ? Result.Success(result.Value, input) : result;
    };
}
