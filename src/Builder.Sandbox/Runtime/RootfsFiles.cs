using Builder.Oci.Layers;

namespace Builder.Sandbox.Runtime;

/// <summary>
/// Reads a snapshot's merged view without mounting it: the upper first, then lowers top-first. Paths are resolved
/// inside the view (<see cref="Resolve"/>): a symlink an image holds never leads to the host's files.
/// </summary>
public static class RootfsFiles
{
    private const int MaxSymlinks = 40;

    public static string? TryReadText(SnapshotMount root, string path)
    {
        if (Resolve(root, path) is not { } relative || Find(root, relative) is not ({ IsRegular: true }, var full))
        {
            return null;
        }
        using var file = new FileStream(LibC.OpenReadNoFollow(full), FileAccess.Read);
        using var reader = new StreamReader(file);
        return reader.ReadToEnd();
    }

    /// <summary>Whether <paramref name="path"/> is a directory in the merged view (symlinks followed inside it).</summary>
    public static bool IsDirectory(SnapshotMount root, string path) =>
        Resolve(root, path) is { } relative && (relative.Length == 0 || Find(root, relative) is ({ IsDirectory: true }, _));

    /// <summary>
    /// The path <paramref name="path"/> names in the merged view once each symlink on the way is followed inside the
    /// view (an absolute target starts again at its root, <c>..</c> stops there), relative to the root and free of
    /// symlinks; a missing tail is kept. Null when the links loop.
    /// </summary>
    public static string? Resolve(SnapshotMount root, string path) =>
        TreePaths.Resolve(path, candidate => Find(root, candidate) is var (status, hostPath)
            ? new TreeEntry(true, status.IsSymlink ? LibC.ReadLink(hostPath) : null)
            : TreeEntry.Missing, allowMissing: true, MaxSymlinks);

    /// <summary>
    /// The entry at a relative path whose parents are real directories of the view: its status and host path in the
    /// topmost layer that has it, or null (missing, or deleted by a whiteout). Host paths are only ever looked at
    /// with lstat after every parent was checked to be a directory in that layer, so no symlink is followed.
    /// </summary>
    internal static (FileStatus Status, string HostPath)? Find(SnapshotMount root, string relative)
    {
        foreach (var layer in Layers(root))
        {
            if (!HasRealParents(layer, relative))
            {
                continue;
            }
            var full = Path.Combine(layer, relative);
            switch (LibC.LStat(full))
            {
                case null:
                    continue;
                case { Mode: var mode, RdevMajor: 0, RdevMinor: 0 } when (mode & 0xF000) == 0x2000:
                    return null; // an overlay whiteout: deleted in this layer
                case { } status:
                    return (status, full);
            }
        }
        return null;
    }

    /// <summary>Whether every parent of <paramref name="relative"/> inside <paramref name="directory"/> is a real directory (not a symlink).</summary>
    public static bool HasRealParents(string directory, string relative)
    {
        var parts = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var path = directory;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            path = Path.Combine(path, parts[i]);
            if (LibC.LStat(path) is not { IsDirectory: true })
            {
                return false;
            }
        }
        return true;
    }

    private static IEnumerable<string> Layers(SnapshotMount root) => root switch
    {
        OverlaySnapshotMount overlay => overlay.LowerDirectories.Prepend(overlay.UpperDirectory),
        DirectorySnapshotMount directory => [directory.Directory],
        _ => [],
    };
}
