namespace Builder.Dockerfile.Ignore;

/// <summary>Slash-separated path cleaning with the rules of Go's <c>path/filepath.Clean</c> on Unix.</summary>
internal static class GoPath
{
    /// <summary>
    /// Collapses repeated slashes, drops <c>.</c> elements and resolves <c>..</c> against the element before it
    /// (a rooted path cannot go above <c>/</c>); trailing slashes go; an empty result is <c>.</c>.
    /// </summary>
    public static string Clean(string path)
    {
        if (path.Length == 0)
        {
            return ".";
        }

        var rooted = path[0] == '/';
        var kept = new List<string>();
        foreach (var element in path.Split('/'))
        {
            if (element.Length == 0 || element == ".")
            {
                continue;
            }

            if (element == "..")
            {
                if (kept.Count > 0 && kept[^1] != "..")
                {
                    kept.RemoveAt(kept.Count - 1);
                }
                else if (!rooted)
                {
                    kept.Add(element);
                }

                continue;
            }

            kept.Add(element);
        }

        var joined = string.Join('/', kept);
        return rooted ? "/" + joined : joined.Length == 0 ? "." : joined;
    }
}
