using Builder.Dockerfile.Syntax;

namespace Builder.Dockerfile.Binding;

/// <summary>
/// A Dockerfile that cannot be built as written. <see cref="Exception.Message"/> reads
/// <c>Dockerfile:LINE:COLUMN: reason</c>, the one line a user needs.
/// </summary>
public sealed class DockerfileException(string fileName, TextSpan span, string reason)
    : Exception($"{fileName}:{span.Start.Line}:{span.Start.Column}: {reason}")
{
    public string FileName { get; } = fileName;

    public TextSpan Span { get; } = span;

    public string Reason { get; } = reason;
}
