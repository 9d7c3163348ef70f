using System.Text.Json.Serialization;

namespace Builder.Dockerfile.Syntax;

/// <summary>
/// The syntax tree of one Dockerfile: what BuildKit's parser produces (instructions as written, with their
/// flags, arguments and heredocs) plus source spans, comments and diagnostics. Nothing here is interpreted yet;
/// the <see cref="Binding.Binder"/> turns it into typed instructions.
/// </summary>
public sealed record DockerfileSyntax(
    string FileName,
    char EscapeChar,
    IReadOnlyList<ParserDirective> Directives,
    IReadOnlyList<InstructionSyntax> Instructions,
    IReadOnlyList<CommentSyntax> Comments,
    IReadOnlyList<Diagnostic> Diagnostics,
    [property: JsonIgnore] IReadOnlyList<string> Lines)
{
    [JsonIgnore]
    public bool HasErrors => Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);

    [JsonIgnore]
    public IEnumerable<Diagnostic> Errors => Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error);

    public ParserDirective? Directive(string name) =>
        Directives.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>A parser directive such as <c># syntax=docker/dockerfile:1</c>; the name is lower-cased.</summary>
public sealed record ParserDirective(string Name, string Value, TextSpan Span);

/// <summary>A comment line; <see cref="Text"/> is what follows the <c>#</c>, trimmed.</summary>
public sealed record CommentSyntax(string Text, TextSpan Span);

/// <summary>
/// One instruction. <see cref="Arguments"/> are exactly the words BuildKit's parser produces for it (see the
/// dump format); <see cref="IsJsonForm"/> tells exec form from shell form; ONBUILD carries its
/// <see cref="Trigger"/> instead of arguments.
/// </summary>
public sealed record InstructionSyntax(
    string Keyword,
    IReadOnlyList<FlagSyntax> Flags,
    IReadOnlyList<WordSyntax> Arguments,
    bool IsJsonForm,
    InstructionSyntax? Trigger,
    IReadOnlyList<HeredocSyntax> Heredocs,
    string Original,
    string ArgumentText,
    TextSpan Span,
    TextSpan KeywordSpan,
    IReadOnlyList<string> Comments)
{
    /// <summary>The keyword upper-cased, e.g. <c>RUN</c>.</summary>
    public string Name => Keyword.ToUpperInvariant();

    public bool Is(string name) => string.Equals(Keyword, name, StringComparison.OrdinalIgnoreCase);
}

/// <summary>A <c>--name[=value]</c> flag as BuildKit extracts it (quotes removed).</summary>
public sealed record FlagSyntax(string Text, TextSpan Span)
{
    public string Name => (Text.IndexOf('=') is var i and >= 0 ? Text[2..i] : Text[2..]);

    /// <summary>The value after <c>=</c>, or null for a bare flag such as <c>--link</c>.</summary>
    public string? Value => Text.IndexOf('=') is var i and >= 0 ? Text[(i + 1)..] : null;
}

/// <summary>One argument word with where it came from.</summary>
public sealed record WordSyntax(string Value, TextSpan Span);

/// <summary>A heredoc body attached to RUN/COPY/ADD. <see cref="Content"/> is raw (tabs not stripped yet).</summary>
public sealed record HeredocSyntax(string Name, int FileDescriptor, bool Expand, bool Chomp, string Content, TextSpan Span)
{
    /// <summary>The body as used: for <c>&lt;&lt;-</c>, leading tabs removed from every line.</summary>
    [JsonIgnore]
    public string Body => Chomp ? HeredocMarker.StripLeadingTabs(Content) : Content;
}

public enum DiagnosticSeverity
{
    Warning,
    Error,
}

/// <summary>A parse warning or error with its location.</summary>
public sealed record Diagnostic(DiagnosticSeverity Severity, string Message, TextSpan Span, string? Detail = null)
{
    public string Format(string fileName) => $"{fileName}:{Span.Start.Line}:{Span.Start.Column}: {Message}";
}
