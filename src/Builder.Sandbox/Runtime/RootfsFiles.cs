using Builder.Oci.Layers;
using Builder.Posix;
using Builder.Sandbox.Snapshots;

namespace Builder.Sandbox.Runtime;

/// <summary>
/// Reads a snapshot's merged view without mounting it (<see cref="MergedView"/>: the upper first, then lowers
/// top-first). Paths are resolved inside the view (<see cref="Resolve"/>): a symlink an image holds never leads to the
/// host's files.
/// </summary>
public static class RootfsFiles
{
    private const int MaxSymlinks = 40;

    /// <summary>The snapshot's file system as its layers stack it, symlinks not followed.</summary>
    public static MergedView View(SnapshotMount root) => new(root switch
    {
        OverlaySnapshotMount overlay => [overlay.UpperDirectory, .. overlay.LowerDirectories],
        DirectorySnapshotMount directory => [directory.Directory],
        _ => [],
    });

    public static string? TryReadText(SnapshotMount root, string path) =>
        Resolve(root, path) is { } relative ? View(root).ReadText(relative) : null;

    /// <summary>Whether <paramref name="path"/> is a directory in the merged view (symlinks followed inside it).</summary>
    public static bool IsDirectory(SnapshotMount root, string path) =>
        Resolve(root, path) is { } relative && View(root).Lookup(relative) is { IsDirectory: true };

    /// <summary>
    /// The path <paramref name="path"/> names in the merged view once each symlink on the way is followed inside the
    /// view (an absolute target starts again at its root, <c>..</c> stops there), relative to the root and free of
    /// symlinks; a missing tail is kept. Null when the links loop.
    /// </summary>
    public static string? Resolve(SnapshotMount root, string path)
    {
        var view = View(root);
        return TreePaths.Resolve(path, candidate => view.Lookup(candidate) is { } entry ? new TreeEntry(true, entry.LinkTarget) : TreeEntry.Missing,
            allowMissing: true, MaxSymlinks);
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
}
