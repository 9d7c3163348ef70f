namespace Builder.Dockerfile.Ignore;

/// <summary>
/// Decides which paths of a build context a .dockerignore leaves out, as BuildKit does when it receives the
/// context: patterns are applied in order and the last one that matches wins (<c>!pattern</c> re-includes),
/// a pattern that matches a directory also matches everything below it, and an excluded directory is not
/// entered at all unless an exception pattern could re-include something inside it.
/// </summary>
/// <remarks>
/// Paths are relative to the context root and slash-separated; they are cleaned first (<c>./a//b/</c> is
/// <c>a/b</c>). Patterns do not distinguish files from directories (a trailing <c>/</c> is cleaned away), so no
/// file type is needed. Immutable and safe to share between threads.
/// </remarks>
public sealed class DockerIgnoreMatcher
{
    private const string PatternCharacters = "*[]?^\\";

    private readonly IgnorePattern[] patterns;

    // fsutil only prunes excluded directories when every exception is a plain path (maybe ending in /* or /**).
    private readonly bool exceptionsArePlainPaths;

    private DockerIgnoreMatcher(IgnorePattern[] patterns)
    {
        this.patterns = patterns;
        HasExceptions = patterns.Any(p => p.IsException);
        exceptionsArePlainPaths = !patterns.Any(
            p => p.IsException && WithoutTrailingGlob(p.Text).AsSpan().IndexOfAny(PatternCharacters) >= 0);
    }

    /// <summary>A matcher that excludes nothing (no ignore file).</summary>
    public static DockerIgnoreMatcher Empty { get; } = new([]);

    public IReadOnlyList<IgnorePattern> Patterns => patterns;

    /// <summary>Whether any <c>!pattern</c> exists.</summary>
    public bool HasExceptions { get; }

    /// <summary>
    /// Builds a matcher from patterns as moby/patternmatcher takes them (no comment handling; each is trimmed,
    /// cleaned, and a leading <c>!</c> makes it an exception). <see cref="DockerIgnore.Parse"/> reads a file.
    /// </summary>
    /// <exception cref="DockerIgnoreException">A pattern is a lone <c>!</c> or is not valid match syntax.</exception>
    public static DockerIgnoreMatcher Create(IEnumerable<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        return Create(patterns.Select(p => (p, (int?)null)), null);
    }

    internal static DockerIgnoreMatcher Create(IEnumerable<(string Pattern, int? Line)> patterns, string? fileName)
    {
        var compiled = new List<IgnorePattern>();
        foreach (var (raw, line) in patterns)
        {
            var pattern = raw.Trim();
            if (pattern.Length == 0)
            {
                continue;
            }

            pattern = GoPath.Clean(pattern);
            var isException = pattern[0] == '!';
            if (isException)
            {
                if (pattern.Length == 1)
                {
                    throw new DockerIgnoreException(pattern, "illegal exclusion pattern", line, fileName);
                }

                pattern = pattern[1..];
            }

            if (IgnorePattern.SyntaxError(pattern) is { } error)
            {
                throw new DockerIgnoreException(pattern, error, line, fileName);
            }

            compiled.Add(new IgnorePattern(pattern, isException));
        }

        return new DockerIgnoreMatcher([.. compiled]);
    }

    /// <summary>Whether <paramref name="relativePath"/> is left out of the context (the root never is).</summary>
    public bool IsExcluded(string relativePath)
    {
        var (match, prunedAbove) = Walk(relativePath);
        return prunedAbove || (match?.IsExcluded ?? false);
    }

    /// <summary>
    /// Whether anything below <paramref name="directoryPath"/> can end up in the context, i.e. whether a walker
    /// must descend into it. False only when the directory (or a parent) is excluded and no exception pattern
    /// could re-include something inside; when some exception has wildcards, BuildKit always descends.
    /// </summary>
    public bool MayIncludeUnder(string directoryPath)
    {
        var (match, prunedAbove) = Walk(directoryPath);
        return !prunedAbove && !(match?.ExcludesEverythingBelow ?? false);
    }

    /// <summary>
    /// Evaluates one path given the verdict for its parent directory (null for entries at the context root, or
    /// when the parent's verdict is not at hand: parents are then matched from scratch). Walkers should skip a
    /// directory whose result has <see cref="IgnoreMatch.ExcludesEverythingBelow"/>.
    /// </summary>
    public IgnoreMatch Match(string relativePath, IgnoreMatch? parent = null)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        if (parent is not null && parent.MatchedPatterns.Length != patterns.Length)
        {
            throw new ArgumentException("The parent result comes from a different matcher.", nameof(parent));
        }

        var path = Normalize(relativePath);
        var matched = new bool[patterns.Length];
        var excluded = false;
        for (var i = 0; i < patterns.Length; i++)
        {
            var pattern = patterns[i];

            // What matched the parent directory matches its content too.
            var hit = parent is not null && parent.MatchedPatterns[i];
            if (!hit)
            {
                // Only a pattern that could change the verdict is evaluated, as in moby.
                if (pattern.IsException != excluded)
                {
                    continue;
                }

                hit = pattern.Matches(path) || (parent is null && MatchesAParent(pattern, path));
            }

            matched[i] = hit;
            if (hit)
            {
                excluded = !pattern.IsException;
            }
        }

        return new IgnoreMatch(excluded, excluded && !MustDescend(path), matched);
    }

    private static bool MatchesAParent(IgnorePattern pattern, string path)
    {
        var slash = path.LastIndexOf('/');
        if (slash <= 0)
        {
            return false;
        }

        var parent = path[..slash];
        for (var end = parent.IndexOf('/'); ; end = parent.IndexOf('/', end + 1))
        {
            if (pattern.Matches(end < 0 ? parent : parent[..end]))
            {
                return true;
            }

            if (end < 0)
            {
                return false;
            }
        }
    }

    private static string Normalize(string relativePath)
    {
        var path = GoPath.Clean(relativePath).TrimStart('/');
        return path.Length == 0 ? "." : path;
    }

    private static string WithoutTrailingGlob(string pattern)
    {
        if (pattern.EndsWith("/**", StringComparison.Ordinal))
        {
            pattern = pattern[..^3];
        }

        if (pattern.EndsWith("/*", StringComparison.Ordinal))
        {
            pattern = pattern[..^2];
        }

        return pattern;
    }

    // Whether an excluded directory must still be walked because an exception may re-include its content.
    private bool MustDescend(string directory)
    {
        if (!exceptionsArePlainPaths)
        {
            return true;
        }

        var prefix = directory + "/";
        return patterns.Any(p => p.IsException && (WithoutTrailingGlob(p.Text) + "/").StartsWith(prefix, StringComparison.Ordinal));
    }

    /// <summary>
    /// Follows a walker from the root down to <paramref name="relativePath"/>: the verdict for the path itself
    /// and whether some parent directory was already skipped as a whole.
    /// </summary>
    private (IgnoreMatch? Match, bool PrunedAbove) Walk(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        if (patterns.Length == 0)
        {
            return (null, false); // no .dockerignore: nothing to match, and no path to clean for it
        }
        var path = Normalize(relativePath);
        if (path == ".")
        {
            return (null, false);
        }

        IgnoreMatch? match = null;
        var end = path.IndexOf('/');
        while (true)
        {
            match = Match(end < 0 ? path : path[..end], match);
            if (end < 0)
            {
                return (match, false);
            }

            if (match.ExcludesEverythingBelow)
            {
                return (match, true);
            }

            end = path.IndexOf('/', end + 1);
        }
    }
}
