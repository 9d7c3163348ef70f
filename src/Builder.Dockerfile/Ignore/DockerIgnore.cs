namespace Builder.Dockerfile.Ignore;

/// <summary>Reading .dockerignore files (moby's ignorefile rules) and choosing which one applies.</summary>
public static class DockerIgnore
{
    public const string FileName = ".dockerignore";

    /// <summary>Parses the text of an ignore file into a matcher.</summary>
    /// <param name="text">The file's content.</param>
    /// <param name="fileName">How errors name the file (<c>.dockerignore</c>, say); null for none.</param>
    /// <exception cref="DockerIgnoreException">A pattern is malformed; the exception names the file and line.</exception>
    public static DockerIgnoreMatcher Parse(string text, string? fileName = null) => DockerIgnoreMatcher.Create(ReadLines(text), fileName);

    /// <summary>
    /// The patterns of an ignore file, normalised as Docker does before matching: lines starting with <c>#</c>
    /// are comments (only in the first column), surrounding white space is trimmed, blank lines are dropped,
    /// each pattern is cleaned (<c>./a/</c> → <c>a</c>, <c>a/../b</c> → <c>b</c>) and a leading <c>/</c> is removed;
    /// the <c>!</c> of an exception is kept in front.
    /// </summary>
    /// <exception cref="DockerIgnoreException">A pattern is malformed; the exception names the file and line.</exception>
    public static IReadOnlyList<string> ReadPatterns(string text, string? fileName = null)
    {
        var lines = ReadLines(text);
        // Checked here, where the lines are known: a matcher made later from the bare list could not name them.
        DockerIgnoreMatcher.Create(lines, fileName);
        return [.. lines.Select(p => p.Pattern)];
    }

    /// <summary>
    /// The ignore files to try, in order, for a Dockerfile at <paramref name="dockerfilePath"/> (relative to the
    /// context): <c>&lt;Dockerfile&gt;.dockerignore</c> beside it wins over the context's <c>.dockerignore</c>.
    /// The first that exists applies; none existing means nothing is ignored.
    /// </summary>
    public static IReadOnlyList<string> CandidateFiles(string? dockerfilePath)
    {
        var dockerfile = string.IsNullOrEmpty(dockerfilePath) ? "Dockerfile" : GoPath.Clean(dockerfilePath);
        return [dockerfile + FileName, FileName];
    }

    private static List<(string Pattern, int? Line)> ReadLines(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var patterns = new List<(string, int?)>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.EndsWith('\r'))
            {
                line = line[..^1];
            }

            if (i == 0 && line.StartsWith('\uFEFF'))
            {
                line = line[1..];
            }

            // A comment only when '#' is the very first character.
            if (line.StartsWith('#'))
            {
                continue;
            }

            var pattern = line.Trim();
            if (pattern.Length == 0)
            {
                continue;
            }

            var isException = pattern[0] == '!';
            if (isException)
            {
                pattern = pattern[1..].Trim();
            }

            if (pattern.Length > 0)
            {
                pattern = GoPath.Clean(pattern);
                if (pattern.Length > 1 && pattern[0] == '/')
                {
                    pattern = pattern[1..];
                }
            }

            patterns.Add((isException ? "!" + pattern : pattern, i + 1));
        }

        return patterns;
    }
}
