using System.Text;
using Builder.Dockerfile.Text;

namespace Builder.Dockerfile.Shell;

/// <summary>One expansion run over one word: a cursor over its code points plus the variables looked up.</summary>
internal sealed class WordExpander
{
    private const int End = -1;
    private const string MissingBrace = "syntax error: missing '}'";

    private readonly int[] source;
    private readonly string word;
    private readonly IReadOnlyDictionary<string, string> env;
    private readonly int escape;
    private readonly ShellLexerOptions options;
    private readonly HashSet<string> matched = new(StringComparer.Ordinal);
    private readonly HashSet<string> unmatched = new(StringComparer.Ordinal);
    private int position;

    public WordExpander(string word, IReadOnlyDictionary<string, string> env, char escape, ShellLexerOptions options)
    {
        this.word = word;
        this.env = env;
        this.escape = escape;
        this.options = options;
        source = CodePoints.Decode(word);

        // BuildKit reads the word with Go's text/scanner, which drops a byte order mark at the very start.
        if (source.Length > 0 && source[0] == '\uFEFF')
        {
            position = 1;
        }
    }

    private bool SkipUnset => options.HasFlag(ShellLexerOptions.SkipUnsetEnv);

    private bool RawQuotes => options.HasFlag(ShellLexerOptions.RawQuotes);

    private bool QuotesAreSpecial => !options.HasFlag(ShellLexerOptions.SkipProcessQuotes);

    public ShellExpansion Expand()
    {
        try
        {
            var (value, words) = ProcessUntil(End, options.HasFlag(ShellLexerOptions.RawEscapes));
            return new ShellExpansion(value, words, matched, unmatched);
        }
        catch (SyntaxError error)
        {
            throw new ShellExpansionException(word, error.Message);
        }
    }

    private int Peek() => position < source.Length ? source[position] : End;

    private int Next() => position < source.Length ? source[position++] : End;

    /// <summary>
    /// Processes text up to <paramref name="stop"/> (consumed) or the end of the word. Inside <c>${}</c> the
    /// stop is <c>}</c> or <c>/</c>; <paramref name="rawEscapes"/> keeps escape characters, which patterns need
    /// so that <c>\*</c> stays a literal star.
    /// </summary>
    private (string Value, List<string> Words) ProcessUntil(int stop, bool rawEscapes)
    {
        var result = new StringBuilder();
        var words = new WordSplitter();

        while (Peek() != End)
        {
            var ch = Peek();
            if (stop != End && ch == stop)
            {
                Next();
                return (result.ToString(), words.Finish());
            }

            if (ch == '$')
            {
                var expanded = ReadDollar();
                result.Append(expanded);
                words.AddUnquoted(expanded);
                continue;
            }

            if (QuotesAreSpecial && ch is '\'' or '"')
            {
                var quoted = ch == '\'' ? ReadSingleQuoted() : ReadDoubleQuoted(rawEscapes);
                result.Append(quoted);
                words.AddVerbatim(quoted);
                continue;
            }

            Next();
            if (ch != escape)
            {
                CodePoints.Append(result, ch);
                words.AddUnquoted(ch);
                continue;
            }

            if (rawEscapes)
            {
                CodePoints.Append(result, ch);
                words.AddVerbatim(ch);
            }

            // An escape at the very end escapes nothing and disappears.
            var escaped = Next();
            if (escaped == End)
            {
                break;
            }

            CodePoints.Append(result, escaped);
            words.AddVerbatim(escaped);
        }

        if (stop != End)
        {
            throw new SyntaxError($"unexpected end of statement while looking for matching {CodePoints.ToString(stop)}");
        }

        return (result.ToString(), words.Finish());
    }

    // Everything up to the next single quote is literal; a single quote cannot be escaped inside.
    private string ReadSingleQuoted()
    {
        var result = new StringBuilder();
        var open = Next();
        if (RawQuotes)
        {
            CodePoints.Append(result, open);
        }

        while (true)
        {
            var ch = Next();
            if (ch == End)
            {
                throw new SyntaxError("unexpected end of statement while looking for matching single-quote");
            }

            if (ch == '\'')
            {
                if (RawQuotes)
                {
                    CodePoints.Append(result, ch);
                }

                return result.ToString();
            }

            CodePoints.Append(result, ch);
        }
    }

    // Variables expand inside double quotes; the escape character only escapes ", $ and itself,
    // before anything else it stays as written.
    private string ReadDoubleQuoted(bool rawEscapes)
    {
        var result = new StringBuilder();
        var open = Next();
        if (RawQuotes)
        {
            CodePoints.Append(result, open);
        }

        while (true)
        {
            switch (Peek())
            {
                case End:
                    throw new SyntaxError("unexpected end of statement while looking for matching double-quote");
                case '"':
                    var close = Next();
                    if (RawQuotes)
                    {
                        CodePoints.Append(result, close);
                    }

                    return result.ToString();
                case '$':
                    result.Append(ReadDollar());
                    break;
                default:
                    var ch = Next();
                    if (ch == escape)
                    {
                        if (rawEscapes)
                        {
                            CodePoints.Append(result, ch);
                        }

                        var next = Peek();
                        if (next == End)
                        {
                            // Dropped; the loop then reports the missing closing quote.
                            continue;
                        }

                        if (next == '"' || next == '$' || next == escape)
                        {
                            ch = Next();
                        }
                    }

                    CodePoints.Append(result, ch);
                    break;
            }
        }
    }

    private string ReadDollar()
    {
        Next(); // the '$'

        if (Peek() != '{')
        {
            var name = ReadName();
            if (name.Length == 0)
            {
                // A '$' before anything that cannot start a name is a literal dollar.
                return "$";
            }

            var (value, set) = Lookup(name);
            return !set && SkipUnset ? "$" + name : value;
        }

        Next(); // the '{'
        switch (Peek())
        {
            case End:
                throw new SyntaxError(MissingBrace);
            case '{' or '}' or ':':
                throw new SyntaxError("syntax error: bad substitution");
        }

        var variable = ReadName();
        var modifier = Next();
        switch (modifier)
        {
            case End:
                throw new SyntaxError(MissingBrace);
            case '}':
            {
                var (value, set) = Lookup(variable);
                return !set && SkipUnset ? "${" + variable + "}" : value;
            }

            case ':' or '+' or '-' or '?' or '#' or '%':
                return ExpandModifier(variable, modifier);
            case '/':
                return ExpandSubstitution(variable);
            default:
                throw UnsupportedModifier(CodePoints.ToString(modifier));
        }
    }

    // ${v-w} ${v:-w} ${v+w} ${v:+w} ${v?w} ${v:?w} ${v#p} ${v##p} ${v%p} ${v%%p}
    private string ExpandModifier(string variable, int first)
    {
        var colon = first == ':';
        var op = colon ? Next() : first;
        var spelled = colon ? ":" + (op == End ? "" : CodePoints.ToString(op)) : CodePoints.ToString(op);
        var isPattern = op is '#' or '%';

        // ${v:#p} and ${v:%p} are not shell syntax; reject them before reading further.
        if (colon && isPattern)
        {
            throw UnsupportedModifier(spelled);
        }

        var argument = ReadNested('}', rawEscapes: isPattern, MissingBrace);
        var (value, set) = Lookup(variable);
        if (!set && SkipUnset)
        {
            return "${" + variable + spelled + argument + "}";
        }

        // With a colon an empty value counts as unset.
        var missing = !set || (colon && value.Length == 0);
        switch (op)
        {
            case '-':
                return missing ? argument : value;
            case '+':
                return missing ? "" : argument;
            case '?':
                if (!set)
                {
                    throw new SyntaxError($"{variable}: {(argument.Length > 0 ? argument : "is not allowed to be unset")}");
                }

                if (missing)
                {
                    throw new SyntaxError($"{variable}: {(argument.Length > 0 ? argument : "is not allowed to be empty")}");
                }

                return value;
            case '#' or '%':
                // A doubled operator (## or %%) asks for the longest match.
                var longest = argument.Length > 0 && argument[0] == op;
                var pattern = longest ? argument[1..] : argument;
                return op == '#'
                    ? CompilePattern(pattern, forSuffix: false).RemovePrefix(value, longest)
                    : CompilePattern(pattern, forSuffix: true).RemoveSuffix(value, longest);
            default:
                throw UnsupportedModifier(spelled);
        }
    }

    // ${v/p/r} replaces the first match of p, ${v//p/r} every match; the match is always the longest.
    private string ExpandSubstitution(string variable)
    {
        var all = Peek() == '/';
        if (all)
        {
            Next();
        }

        var pattern = ReadNested('/', rawEscapes: true, "syntax error: missing '/' in ${}");
        var replacement = ReadNested('}', rawEscapes: true, MissingBrace);
        var (value, set) = Lookup(variable);
        if (!set && SkipUnset)
        {
            // BuildKit writes the `//` form back with a single slash; kept for identical output.
            return "${" + variable + "/" + pattern + "/" + replacement + "}";
        }

        var compiled = CompilePattern(pattern, forSuffix: false);
        return all ? compiled.ReplaceAll(value, replacement) : compiled.ReplaceFirst(value, replacement);
    }

    private string ReadNested(int stop, bool rawEscapes, string missingMessage)
    {
        try
        {
            return ProcessUntil(stop, rawEscapes).Value;
        }
        catch (SyntaxError) when (Peek() == End)
        {
            // Running off the end inside ${...} is reported as the missing delimiter, whatever failed inside.
            throw new SyntaxError(missingMessage);
        }
    }

    private static ShellPattern CompilePattern(string pattern, bool forSuffix)
    {
        try
        {
            return forSuffix ? ShellPattern.CompileForSuffix(pattern) : ShellPattern.Compile(pattern);
        }
        catch (FormatException error)
        {
            throw new SyntaxError($"invalid pattern ({pattern}) in substitution: {error.Message}");
        }
    }

    /// <summary>
    /// Reads a variable name: a run of digits (positional parameter), one special parameter character
    /// (<c>@ * # ? - $ ! 0</c>), or letters, digits and underscores. May return an empty name.
    /// </summary>
    private string ReadName()
    {
        var name = new StringBuilder();
        while (Peek() != End)
        {
            var ch = Peek();
            if (name.Length == 0 && CodePoints.IsDigit(ch))
            {
                while (Peek() != End && CodePoints.IsDigit(Peek()))
                {
                    CodePoints.Append(name, Next());
                }

                return name.ToString();
            }

            if (name.Length == 0 && ch is '@' or '*' or '#' or '?' or '-' or '$' or '!' or '0')
            {
                return CodePoints.ToString(Next());
            }

            if (!CodePoints.IsLetter(ch) && !CodePoints.IsDigit(ch) && ch != '_')
            {
                break;
            }

            CodePoints.Append(name, Next());
        }

        return name.ToString();
    }

    private (string Value, bool Set) Lookup(string name)
    {
        if (env.TryGetValue(name, out var value))
        {
            matched.Add(name);
            return (value, true);
        }

        unmatched.Add(name);
        return ("", false);
    }

    private static SyntaxError UnsupportedModifier(string spelled) =>
        new($"unsupported modifier ({spelled}) in substitution");

    /// <summary>Internal failure carrying only the reason; the word is added once, at the top.</summary>
    private sealed class SyntaxError(string message) : Exception(message);
}
