namespace Builder.Dockerfile.Ignore;

/// <summary>A .dockerignore pattern is malformed (bad <c>[...]</c> class, trailing <c>\</c>, a lone <c>!</c>).</summary>
public sealed class DockerIgnoreException : Exception
{
    public DockerIgnoreException(string pattern, string reason, int? line = null)
        : base(line is { } number ? $"line {number}: {reason}: \"{pattern}\"" : $"{reason}: \"{pattern}\"")
    {
        Pattern = pattern;
        Reason = reason;
        Line = line;
    }

    /// <summary>The offending pattern as it was after cleaning.</summary>
    public string Pattern { get; }

    public string Reason { get; }

    /// <summary>1-based line in the ignore file, when the pattern came from one.</summary>
    public int? Line { get; }
}
