namespace Builder.Engine.Semantics;

/// <summary>
/// COPY --parents' matching below one root: a pattern's segments matched directory by directory, <c>**</c> spanning any
/// number of directories (none included), a wildcard segment as Go's filepath.Match.
/// </summary>
internal static class CopyParentsMatcher
{
    /// <summary>The paths below <paramref name="root"/>, relative to it, that <paramref name="segments"/> match, each once.</summary>
    public static IReadOnlyList<string> Match(ICopySourceTree source, string root, IReadOnlyList<string> segments) =>
        [.. MatchBelow(source, root, segments, 0).Distinct(StringComparer.Ordinal)];

    private static IEnumerable<string> MatchBelow(ICopySourceTree source, string directory, IReadOnlyList<string> segments, int index, string relative = "")
    {
        if (index == segments.Count)
        {
            if (relative.Length > 0)
            {
                yield return relative;
            }
            yield break;
        }
        var segment = segments[index];
        var here = SourceTrees.Join(directory, relative);
        if (segment == "**")
        {
            foreach (var match in MatchBelow(source, directory, segments, index + 1, relative))
            {
                yield return match;
            }
            if (source.Stat(here) is { IsDirectory: true })
            {
                foreach (var child in source.List(here).Where(c => source.Stat(SourceTrees.Join(here, c)) is { IsDirectory: true }))
                {
                    foreach (var match in MatchBelow(source, directory, segments, index, SourceTrees.Join(relative, child)))
                    {
                        yield return match;
                    }
                }
            }
            yield break;
        }
        IEnumerable<string> names;
        if (GoGlob.HasWildcards(segment))
        {
            var regex = GoGlob.Compile(segment);
            names = source.Stat(here) is { IsDirectory: true } ? source.List(here).Where(n => regex.IsMatch(n)) : [];
        }
        else
        {
            names = source.Stat(SourceTrees.Join(here, segment)) is not null ? [segment] : [];
        }
        foreach (var name in names)
        {
            var next = SourceTrees.Join(relative, name);
            if (index == segments.Count - 1 || source.Stat(SourceTrees.Join(directory, next)) is { IsDirectory: true })
            {
                foreach (var match in MatchBelow(source, directory, segments, index + 1, next))
                {
                    yield return match;
                }
            }
        }
    }
}
