namespace Builder.Dockerfile.Ignore;

/// <summary>
/// A .dockerignore pattern is malformed (bad <c>[...]</c> class, trailing <c>\</c>, a lone <c>!</c>). When it came from a
/// file the message is located as a Dockerfile error is: <c>.dockerignore:3: reason: "pattern"</c>.
/// </summary>
public sealed class DockerIgnoreException : Exception
{
    public DockerIgnoreException(string pattern, string reason, int? line = null, string? fileName = null)
        : base($"{Location(fileName, line)}{reason}: \"{pattern}\"")
    {
        Pattern = pattern;
        Reason = reason;
        Line = line;
        FileName = fileName;
    }

    /// <summary>The offending pattern as it was after cleaning.</summary>
    public string Pattern { get; }

    public string Reason { get; }

    /// <summary>1-based line in the ignore file, when the pattern came from one.</summary>
    public int? Line { get; }

    /// <summary>The ignore file as its reader named it (<c>.dockerignore</c>, <c>app/Dockerfile.dockerignore</c>), when known.</summary>
    public string? FileName { get; }

    private static string Location(string? fileName, int? line) => (fileName, line) switch
    {
        ({ } file, { } number) => $"{file}:{number}: ",
        ({ } file, null) => $"{file}: ",
        (null, { } number) => $"line {number}: ",
        _ => "",
    };
}
