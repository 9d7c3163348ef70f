using Builder.Oci.Layers;

namespace Builder.Engine.Semantics;

/// <summary>One entry of a stage's file system as the layers stack it: where it lives on disk and what it is.</summary>
public sealed record MergedEntry(string Path, string HostPath, uint Mode, long Uid, long Gid)
{
    public bool IsDirectory => (Mode & 0xF000) == 0x4000;

    public bool IsSymlink => (Mode & 0xF000) == 0xA000;

    public bool IsRegularFile => (Mode & 0xF000) == 0x8000;

    public uint Permissions => Mode & 0b111_111_111_111;
}

/// <summary>
/// A stage's file system read through its extracted layer directories (overlay form, top layer first) without
/// mounting them: an upper layer's whiteout hides a path, an opaque directory hides what lower layers hold below it.
/// </summary>
public sealed class MergedView(IReadOnlyList<string> layersTopFirst)
{
    public static MergedView Empty { get; } = new([]);

    /// <summary>The entry at <paramref name="path"/> (absolute, "/" separated), or null. Symlinks are not followed.</summary>
    public MergedEntry? Lookup(string path)
    {
        var relative = path.Trim('/');
        if (relative.Length == 0)
        {
            return new MergedEntry("/", layersTopFirst.Count > 0 ? layersTopFirst[^1] : "/", 0x4000 | 0b111_101_101, 0, 0);
        }
        foreach (var layer in Visible(relative))
        {
            var full = System.IO.Path.Combine(layer, relative);
            if (LibC.LStat(full) is { } status)
            {
                return IsWhiteout(status) ? null : new MergedEntry("/" + relative, full, status.Mode, status.Uid, status.Gid);
            }
        }
        return null;
    }

    /// <summary>The names directly inside a directory of the merged view.</summary>
    public IReadOnlyList<string> List(string directory)
    {
        var relative = directory.Trim('/');
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var hidden = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layer in Visible(relative))
        {
            var full = relative.Length == 0 ? layer : System.IO.Path.Combine(layer, relative);
            if (LibC.LStat(full) is not { } status)
            {
                continue;
            }
            if ((status.Mode & 0xF000) != 0x4000)
            {
                break; // a file here hides the directories of lower layers
            }
            foreach (var child in Directory.EnumerateFileSystemEntries(full))
            {
                var name = System.IO.Path.GetFileName(child);
                if (hidden.Contains(name) || names.Contains(name))
                {
                    continue;
                }
                if (LibC.LStat(child) is { } childStatus && IsWhiteout(childStatus))
                {
                    hidden.Add(name);
                    continue;
                }
                names.Add(name);
            }
            if (IsOpaque(full))
            {
                break;
            }
        }
        return [.. names];
    }

    /// <summary>A text file's content in the merged view, or null.</summary>
    public string? ReadText(string path) =>
        Lookup(path) is { IsRegularFile: true } entry ? File.ReadAllText(entry.HostPath) : null;

    // The layers that can show a path: from the top down to the first one that made a parent opaque (or replaced or
    // deleted it). Parents are checked from the root down, so nothing is ever looked up below a layer's symlink (which
    // the host would follow): a parent that is no directory in a layer means the path is not there, nor lower.
    private IEnumerable<string> Visible(string relative)
    {
        var parents = new List<string>();
        for (var parent = System.IO.Path.GetDirectoryName(relative); !string.IsNullOrEmpty(parent); parent = System.IO.Path.GetDirectoryName(parent))
        {
            parents.Add(parent);
        }
        parents.Reverse();
        foreach (var layer in layersTopFirst)
        {
            var opaque = false;
            foreach (var parent in parents)
            {
                var full = System.IO.Path.Combine(layer, parent);
                if (LibC.LStat(full) is not { } status)
                {
                    break; // not in this layer, nor anything below it
                }
                if (IsWhiteout(status) || (status.Mode & 0xF000) != 0x4000)
                {
                    yield break;
                }
                opaque |= IsOpaque(full);
            }
            yield return layer;
            if (opaque)
            {
                yield break;
            }
        }
    }

    private static bool IsWhiteout(FileStatus status) => (status.Mode & 0xF000) == 0x2000 && status.RdevMajor == 0 && status.RdevMinor == 0;

    private static bool IsOpaque(string directory) =>
        LibC.ListXattrs(directory).Keys.Any(k => k is "trusted.overlay.opaque" or "user.overlay.opaque");
}
