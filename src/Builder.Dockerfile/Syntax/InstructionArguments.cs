namespace Builder.Dockerfile.Syntax;

/// <summary>The arguments of one instruction as BuildKit's per-instruction line parsers form them.</summary>
internal sealed record ParsedArguments(IReadOnlyList<Token> Words, bool IsJson)
{
    public static readonly ParsedArguments None = new([], false);
}

/// <summary>
/// BuildKit's dispatch table: which of its line parsers reads the arguments of each instruction.
/// Offsets in the returned tokens are relative to the argument text passed in.
/// </summary>
internal static class InstructionArguments
{
    public static ParsedArguments Parse(string keyword, string text, char escape) =>
        keyword.ToLowerInvariant() switch
        {
            "run" or "cmd" or "entrypoint" or "shell" => MaybeJson(text),
            "add" or "copy" or "volume" => MaybeJsonToList(text),
            "from" or "expose" => WhitespaceDelimited(text),
            "env" => NameValue(text, "ENV", escape),
            "label" => NameValue(text, "LABEL", escape),
            "arg" => new ParsedArguments(Grammar.Words(text, escape), false),
            "healthcheck" => HealthConfig(text),
            "maintainer" or "stopsignal" or "user" or "workdir" => WholeText(text),
            "onbuild" => ParsedArguments.None, // the trigger is parsed as an instruction of its own
            // Unknown instructions keep one empty word; the binder reports them.
            _ => new ParsedArguments([new Token(string.Empty, 0, 0)], false),
        };

    private static ParsedArguments WholeText(string text) =>
        text.Length == 0 ? ParsedArguments.None : new([new Token(text, 0, text.Length)], false);

    private static ParsedArguments WhitespaceDelimited(string text) =>
        text.Length == 0
            ? ParsedArguments.None
            : new(GoText.SplitArguments(text).Select(p => new Token(p.Text, p.Offset, p.Text.Length)).ToList(), false);

    /// <summary>A JSON array of strings, or else the whole text as one word.</summary>
    private static ParsedArguments MaybeJson(string text)
    {
        if (text.Length == 0)
        {
            return ParsedArguments.None;
        }
        return Json(text) ?? WholeText(text);
    }

    /// <summary>A JSON array of strings, or else the white-space separated words.</summary>
    private static ParsedArguments MaybeJsonToList(string text) => Json(text) ?? WhitespaceDelimited(text);

    private static ParsedArguments? Json(string text)
    {
        var start = text.Length - GoText.TrimLeftSpace(text).Length;
        if (start == text.Length || text[start] != '[')
        {
            return null;
        }
        var elements = Grammar.JsonArray(text[start..]);
        if (elements is null)
        {
            return null;
        }
        if (elements.Any(e => !e.IsString))
        {
            // Valid JSON that is not all strings is an error, not shell form.
            throw new SyntaxError("when using JSON array syntax, arrays must be comprised of strings only");
        }
        return new ParsedArguments(elements.Select(e => new Token(e.Text!, start + e.Offset, e.Length)).ToList(), true);
    }

    /// <summary>ENV and LABEL: <c>key value</c> (legacy) or <c>key=value ...</c>, as (key, value, separator) triples.</summary>
    private static ParsedArguments NameValue(string text, string instruction, char escape)
    {
        var words = Grammar.Words(text, escape);
        if (words.Count == 0)
        {
            return ParsedArguments.None;
        }
        var result = new List<Token>();
        if (!words[0].Value.Contains('='))
        {
            var parts = GoText.SplitArguments(text, 2);
            if (parts.Count < 2)
            {
                throw new SyntaxError($"{instruction} must have two arguments");
            }
            result.Add(new Token(parts[0].Text, parts[0].Offset, parts[0].Text.Length));
            result.Add(new Token(parts[1].Text, parts[1].Offset, parts[1].Text.Length));
            result.Add(new Token(string.Empty, text.Length, 0));
            return new ParsedArguments(result, false);
        }
        foreach (var word in words)
        {
            var equals = word.Value.IndexOf('=');
            if (equals < 0)
            {
                throw new SyntaxError($"Syntax error - can't find = in {GoText.Quote(word.Value)}. Must be of the form: name=value");
            }
            result.Add(new Token(word.Value[..equals], word.Offset, equals));
            result.Add(new Token(word.Value[(equals + 1)..], word.Offset + equals + 1, word.Length - equals - 1));
            result.Add(new Token("=", word.Offset + equals, 1));
        }
        return new ParsedArguments(result, false);
    }

    /// <summary>HEALTHCHECK: the type word (CMD, NONE, ...), then the command as RUN would read it.</summary>
    private static ParsedArguments HealthConfig(string text)
    {
        var separator = 0;
        while (separator < text.Length && !GoText.IsSpace(text[separator]))
        {
            separator++;
        }
        if (separator == 0)
        {
            return ParsedArguments.None;
        }
        var next = separator;
        while (next < text.Length && GoText.IsSpace(text[next]))
        {
            next++;
        }
        var command = MaybeJson(text[next..]);
        var words = new List<Token> { new(text[..separator], 0, separator) };
        words.AddRange(command.Words.Select(w => w with { Offset = w.Offset + next }));
        return new ParsedArguments(words, command.IsJson);
    }
}

/// <summary>A problem in one instruction's text; the parser adds the location.</summary>
internal sealed class SyntaxError(string message) : Exception(message);
