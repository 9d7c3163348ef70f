namespace Builder.Oci.Layers;

/// <summary>
/// Layer path rules (relative, <c>/</c>-separated, no leading <c>/</c>) shared by the writer, the applier and the
/// SBOM scanner (Builder.Signing), which reads whiteouts out of layer tars.
/// </summary>
public static class LayerPaths
{
    /// <summary>
    /// A change's path in canonical form (<c>a/b</c>): leading <c>/</c> and <c>./</c>, empty and <c>.</c>
    /// components dropped; <c>..</c> refused, since a layer describes one tree and never steps out of it.
    /// </summary>
    public static string NormalizeForWriting(string path)
    {
        if (path.Contains('\0'))
        {
            throw new ArgumentException($"layer path \"{path.Replace("\0", "\\0", StringComparison.Ordinal)}\" contains a NUL character");
        }
        if (IsNormal(path))
        {
            return path; // the usual case, with no allocation: a layer has one path per file
        }
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (parts.Contains(".."))
        {
            throw new ArgumentException($"layer path \"{path}\" has a \"..\" component");
        }
        if (parts.Length == 0)
        {
            throw new ArgumentException($"layer path \"{path}\" names the root itself");
        }
        return string.Join('/', parts);
    }

    // Already what NormalizeForWriting returns: components joined by single slashes, none empty, "." or "..".
    private static bool IsNormal(string path)
    {
        if (path.Length == 0)
        {
            return false;
        }
        foreach (var range in path.AsSpan().Split('/'))
        {
            var component = path.AsSpan(range);
            if (component.IsEmpty || component is "." or "..")
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The directory a path is in ("" for an entry of the root).</summary>
    public static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? string.Empty : path[..slash];
    }

    /// <summary>The last component of a path.</summary>
    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];

    /// <summary>A name inside a directory ("" is the root).</summary>
    public static string Join(string parent, string name) => parent.Length == 0 ? name : parent + "/" + name;
}
