using Builder.Dockerfile.Syntax;

namespace Builder.Dockerfile.Binding;

/// <summary>
/// A Dockerfile that cannot be built as written. <see cref="Exception.Message"/> reads
/// <c>Dockerfile:LINE:COLUMN: reason</c> (or <c>Dockerfile: reason</c> when no single place is to blame),
/// the one line a user needs.
/// </summary>
public sealed class DockerfileException(string fileName, TextSpan? span, string reason)
    : Exception(span is { } s ? $"{fileName}:{s.Start.Line}:{s.Start.Column}: {reason}" : $"{fileName}: {reason}")
{
    public string FileName { get; } = fileName;

    public TextSpan? Span { get; } = span;

    public string Reason { get; } = reason;
}
