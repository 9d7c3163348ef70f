using System.Text;

namespace Builder.Dockerfile.Syntax;

/// <summary>
/// Reads Dockerfile text into a <see cref="DockerfileSyntax"/> exactly as BuildKit's parser does: parser
/// directives, comments, line continuations with the active escape character, heredoc bodies, and per-instruction
/// argument forms. It never throws for bad input: the first error stops parsing and is reported as a
/// <see cref="Diagnostic"/> with its line and column.
/// </summary>
public static class DockerfileParser
{
    /// <summary>BuildKit reads lines with Go's bufio.Scanner, whose tokens are at most 64 KiB.</summary>
    public const int MaxLineBytes = 65535;

    public static DockerfileSyntax Parse(string text, string fileName = "Dockerfile") =>
        new ParseRun(text, fileName).Run();

    private sealed class ParseRun(string text, string fileName)
    {
        private readonly List<string> _lines = SplitLines(text);
        private readonly List<ParserDirective> _directives = [];
        private readonly List<InstructionSyntax> _instructions = [];
        private readonly List<CommentSyntax> _comments = [];
        private readonly List<Diagnostic> _diagnostics = [];
        private char _escape = '\\';
        private bool _directivesDone;
        private int _next;        // index of the next physical line to read
        private int _currentLine; // 1-based number of the last line read

        public DockerfileSyntax Run()
        {
            try
            {
                ReadInstructions();
                if (_instructions.Count == 0)
                {
                    throw new LocatedError("file with no instructions", TextSpan.At(Math.Max(1, _currentLine), 1));
                }
            }
            catch (LocatedError error)
            {
                _diagnostics.Add(new Diagnostic(DiagnosticSeverity.Error, error.Message, error.Span));
            }
            var display = _lines.Select(l => l.TrimEnd('\n').TrimEnd('\r')).ToList();
            return new DockerfileSyntax(fileName, _escape, _directives, _instructions, _comments, _diagnostics, display);
        }

        private void ReadInstructions()
        {
            var pendingComments = new List<string>();
            while (_next < _lines.Count)
            {
                var raw = ReadLine();
                var (trimmed, indent) = TrimLeadingSpace(StripNewline(raw));
                if (trimmed.StartsWith('#'))
                {
                    var comment = GoText.TrimSpace(trimmed[1..]);
                    _comments.Add(new CommentSyntax(comment, new TextSpan(new(_currentLine, indent + 1), new(_currentLine, indent + 1 + trimmed.Length))));
                    if (comment.Length == 0)
                    {
                        pendingComments.Clear();
                    }
                    else
                    {
                        pendingComments.Add(comment);
                    }
                }
                CheckDirective(trimmed, indent);
                var content = trimmed.StartsWith('#') ? string.Empty : trimmed;

                var startLine = _currentLine;
                var (line, ended) = TrimContinuation(content);
                if (ended && line.Length == 0)
                {
                    continue;
                }

                var logical = new LogicalLine();
                logical.Append(line, _currentLine, indent + 1);
                var hasEmptyContinuation = false;
                while (!ended && _next < _lines.Count)
                {
                    var continuation = StripNewline(ReadLine());
                    var left = GoText.TrimLeftSpace(continuation);
                    CheckDirective(left, continuation.Length - left.Length);
                    if (left.StartsWith('#'))
                    {
                        continue; // comment lines inside a continuation are skipped silently
                    }
                    if (left.Length == 0)
                    {
                        hasEmptyContinuation = true;
                        continue;
                    }
                    (line, ended) = TrimContinuation(continuation);
                    logical.Append(line, _currentLine, 1);
                }

                var joined = logical.ToString();
                if (hasEmptyContinuation)
                {
                    _diagnostics.Add(new Diagnostic(
                        DiagnosticSeverity.Warning,
                        "Empty continuation line found in: " + joined,
                        TextSpan.At(_currentLine, 1),
                        "Empty continuation lines will become errors in a future release"));
                }

                var instruction = ParseInstruction(joined, logical, startLine, pendingComments);
                _instructions.Add(ReadHeredocs(instruction, joined, startLine));
                pendingComments = [];
            }
        }

        private string ReadLine()
        {
            var raw = _lines[_next++];
            _currentLine++;
            if (Encoding.UTF8.GetByteCount(StripNewline(raw)) > MaxLineBytes)
            {
                throw new LocatedError($"dockerfile line greater than max allowed size of {MaxLineBytes}", TextSpan.At(_currentLine, 1));
            }
            return raw;
        }

        private void CheckDirective(string line, int indent)
        {
            if (_directivesDone)
            {
                return;
            }
            var directive = line.StartsWith('#') ? Grammar.Directive(GoText.TrimLeftSpace(line[1..])) : null;
            var name = directive?.Name.ToLowerInvariant();
            if (directive is null || name is not ("syntax" or "escape" or "check"))
            {
                _directivesDone = true;
                return;
            }
            var span = new TextSpan(new(_currentLine, indent + 1), new(_currentLine, indent + 1 + line.Length));
            if (_directives.Any(d => d.Name == name))
            {
                throw new LocatedError($"only one {name} parser directive can be used", span);
            }
            var value = directive.Value.Value;
            if (name == "escape")
            {
                if (value is not ("`" or "\\"))
                {
                    throw new LocatedError($"invalid escape token '{value}' does not match ` or \\", span);
                }
                _escape = value[0];
            }
            _directives.Add(new ParserDirective(name, value, span));
        }

        /// <summary>Removes a continuation escape (and blanks after it) at the end of a line, unless it is escaped.</summary>
        private (string Line, bool Ended) TrimContinuation(string line)
        {
            var end = line.Length;
            while (end > 0 && line[end - 1] is ' ' or '\t')
            {
                end--;
            }
            if (end == 0 || line[end - 1] != _escape)
            {
                return (line, true);
            }
            if (end >= 2 && line[end - 2] == _escape)
            {
                return (line, true); // an escaped escape character is literal text
            }
            return (line[..(end - 1)], false);
        }

        private InstructionSyntax ParseInstruction(string joined, LogicalLine logical, int startLine, IReadOnlyList<string> comments)
        {
            var span = new TextSpan(logical.PositionAt(0), new TextPosition(_currentLine, LineLength(_currentLine) + 1));
            try
            {
                return ParseInstructionText(joined, 0, logical, span, comments);
            }
            catch (SyntaxError error)
            {
                throw new LocatedError(error.Message, span);
            }
        }

        /// <summary>Parses <paramref name="line"/>, which starts at <paramref name="lineOffset"/> in the logical line.</summary>
        private InstructionSyntax ParseInstructionText(string line, int lineOffset, LogicalLine logical, TextSpan span, IReadOnlyList<string> comments)
        {
            var (start, length) = GoText.TrimSpaceRange(line);
            var body = line.Substring(start, length);
            var keywordLength = 0;
            while (keywordLength < body.Length && !GoText.IsArgumentSeparator(body[keywordLength]))
            {
                keywordLength++;
            }
            var keyword = body[..keywordLength];
            var keywordOffset = lineOffset + start;
            var keywordSpan = logical.SpanOf(keywordOffset, keywordLength);

            var afterKeyword = keywordLength;
            while (afterKeyword < body.Length && GoText.IsArgumentSeparator(body[afterKeyword]))
            {
                afterKeyword++;
            }
            var rest = afterKeyword < body.Length ? body[afterKeyword..] : string.Empty;
            var restOffset = keywordOffset + afterKeyword;

            var (flagTokens, argumentsAt) = afterKeyword < body.Length && afterKeyword > keywordLength
                ? Grammar.Flags(rest)
                : ([], rest.Length);
            var flags = flagTokens.Select(f => new FlagSyntax(f.Value, logical.SpanOf(restOffset + f.Offset, f.Length))).ToList();
            var (argsStart, argsLength) = GoText.TrimSpaceRange(rest[argumentsAt..]);
            var arguments = rest.Substring(argumentsAt + argsStart, argsLength);
            var argumentsOffset = restOffset + argumentsAt + argsStart;

            if (keyword.Equals("onbuild", StringComparison.OrdinalIgnoreCase))
            {
                var trigger = arguments.Length == 0
                    ? null
                    : ParseInstructionText(arguments, argumentsOffset, logical, span, []);
                return new InstructionSyntax(keyword, flags, [], false, trigger, [], line, arguments, span, keywordSpan, comments);
            }

            var parsed = InstructionArguments.Parse(keyword, arguments, _escape);
            var words = parsed.Words.Select(w => new WordSyntax(w.Value, logical.SpanOf(argumentsOffset + w.Offset, w.Length))).ToList();
            return new InstructionSyntax(keyword, flags, words, parsed.IsJson, null, [], line, arguments, span, keywordSpan, comments);
        }

        /// <summary>Reads the bodies of the heredocs an instruction names, in order, from the lines that follow it.</summary>
        private InstructionSyntax ReadHeredocs(InstructionSyntax instruction, string joined, int startLine)
        {
            var target = instruction.Trigger ?? instruction;
            if (!target.Is("run") && !target.Is("copy") && !target.Is("add") || target.IsJsonForm || !joined.Contains("<<"))
            {
                return instruction;
            }
            IReadOnlyList<HeredocMarker> markers;
            try
            {
                markers = HeredocMarker.FindInLine(joined);
            }
            catch (SyntaxError error)
            {
                throw new LocatedError(error.Message, instruction.Span);
            }
            if (markers.Count == 0)
            {
                return instruction;
            }
            var heredocs = new List<HeredocSyntax>();
            foreach (var marker in markers)
            {
                var body = new StringBuilder();
                var bodyStart = _currentLine + 1;
                var terminated = false;
                while (_next < _lines.Count)
                {
                    var raw = ReadLine();
                    var candidate = StripNewline(raw);
                    if (marker.Chomp)
                    {
                        candidate = candidate.TrimStart('\t');
                    }
                    if (candidate == marker.Name)
                    {
                        terminated = true;
                        break;
                    }
                    body.Append(raw);
                }
                if (!terminated)
                {
                    throw new LocatedError("unterminated heredoc", new TextSpan(new(startLine, instruction.Span.Start.Column), new(_currentLine, LineLength(_currentLine) + 1)));
                }
                var span = new TextSpan(new(bodyStart, 1), new(_currentLine, LineLength(_currentLine) + 1));
                heredocs.Add(new HeredocSyntax(marker.Name, marker.FileDescriptor, marker.Expand, marker.Chomp, body.ToString(), span));
            }
            var end = new TextPosition(_currentLine, LineLength(_currentLine) + 1);
            if (instruction.Trigger is { } trigger)
            {
                return instruction with { Trigger = trigger with { Heredocs = heredocs, Span = trigger.Span with { End = end } }, Span = instruction.Span with { End = end } };
            }
            return instruction with { Heredocs = heredocs, Span = instruction.Span with { End = end } };
        }

        private int LineLength(int line) => line >= 1 && line <= _lines.Count ? StripNewline(_lines[line - 1]).Length : 0;

        private static string StripNewline(string raw)
        {
            var end = raw.Length;
            while (end > 0 && raw[end - 1] is '\n' or '\r')
            {
                end--;
            }
            return raw[..end];
        }

        private static (string Text, int Indent) TrimLeadingSpace(string line)
        {
            var trimmed = GoText.TrimLeftSpace(line);
            return (trimmed, line.Length - trimmed.Length);
        }

        /// <summary>Physical lines with their line endings, the first without a byte-order mark.</summary>
        private static List<string> SplitLines(string text)
        {
            if (text.StartsWith('\uFEFF'))
            {
                text = text[1..];
            }
            var lines = new List<string>();
            var start = 0;
            while (start < text.Length)
            {
                var newline = text.IndexOf('\n', start);
                var end = newline < 0 ? text.Length : newline + 1;
                lines.Add(text[start..end]);
                start = end;
            }
            return lines;
        }
    }

    private sealed class LocatedError(string message, TextSpan span) : Exception(message)
    {
        public TextSpan Span { get; } = span;
    }
}
