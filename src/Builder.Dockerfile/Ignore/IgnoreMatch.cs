namespace Builder.Dockerfile.Ignore;

/// <summary>
/// The verdict for one path, carrying what a walker needs for the entries below it: pass it as the parent
/// to <see cref="DockerIgnoreMatcher.Match"/> for each child (BuildKit's fsutil does the same with moby's MatchInfo).
/// </summary>
public sealed class IgnoreMatch
{
    internal IgnoreMatch(bool isExcluded, bool excludesEverythingBelow, bool[] matchedPatterns)
    {
        IsExcluded = isExcluded;
        ExcludesEverythingBelow = excludesEverythingBelow;
        MatchedPatterns = matchedPatterns;
    }

    /// <summary>The path is left out of the build context.</summary>
    public bool IsExcluded { get; }

    /// <summary>
    /// For a directory: it is excluded and no exception (<c>!</c>) pattern can re-include anything inside it,
    /// so a walker can skip it without looking. Meaningless for files.
    /// </summary>
    public bool ExcludesEverythingBelow { get; }

    /// <summary>Per pattern, whether it matched this path or one of its parents (moby's parent results).</summary>
    internal bool[] MatchedPatterns { get; }
}
