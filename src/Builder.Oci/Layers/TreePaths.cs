namespace Builder.Oci.Layers;

/// <summary>What a tree holds at a path: nothing, an entry, or a symlink and its target.</summary>
public readonly record struct TreeEntry(bool Exists, string? LinkTarget)
{
    public static TreeEntry Missing => default;
}

/// <summary>
/// Paths resolved inside a tree (a directory, an image's layers, a build context), never on the host: every symlink
/// on the way is followed inside the tree — an absolute target starts again at its root, <c>..</c> stops there —
/// as continuity's fs.RootPath does for BuildKit. The tree is only looked at through <c>lookup</c>.
/// </summary>
public static class TreePaths
{
    /// <summary>
    /// The path <paramref name="path"/> leads to, relative to the tree's root and free of symlinks ("" is the root).
    /// With <paramref name="allowMissing"/> a missing tail is kept as written; without it a missing parent gives null.
    /// Null too when more than <paramref name="maxSymlinks"/> links are followed (a loop).
    /// </summary>
    public static string? Resolve(string path, Func<string, TreeEntry> lookup, bool allowMissing, int maxSymlinks)
    {
        var pending = new LinkedList<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var resolved = new List<string>();
        var links = 0;
        while (pending.First is { } node)
        {
            pending.RemoveFirst();
            var part = node.Value;
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }
                continue;
            }
            var entry = lookup(string.Join('/', [.. resolved, part]));
            if (entry.LinkTarget is { } target)
            {
                if (++links > maxSymlinks)
                {
                    return null;
                }
                if (target.StartsWith('/'))
                {
                    resolved.Clear();
                }
                foreach (var piece in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
                {
                    pending.AddFirst(piece);
                }
                continue;
            }
            if (!entry.Exists && pending.Count > 0 && !allowMissing)
            {
                return null;
            }
            resolved.Add(part);
        }
        return string.Join('/', resolved);
    }
}
