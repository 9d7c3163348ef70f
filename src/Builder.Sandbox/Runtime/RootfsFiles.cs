using Builder.Oci.Layers;

namespace Builder.Sandbox.Runtime;

/// <summary>Reads files of a snapshot's merged view without mounting it: the upper first, then lowers top-first.</summary>
public static class RootfsFiles
{
    public static string? TryReadText(SnapshotMount root, string path)
    {
        var relative = path.TrimStart('/');
        foreach (var layer in Layers(root))
        {
            var full = Path.Combine(layer, relative);
            switch (LibC.LStat(full))
            {
                case null:
                    continue;
                case { Mode: var mode, RdevMajor: 0, RdevMinor: 0 } when (mode & 0xF000) == 0x2000:
                    return null; // an overlay whiteout: deleted in this layer
                case { Mode: var mode } when (mode & 0xF000) == 0x8000:
                    return File.ReadAllText(full);
                default:
                    return null;
            }
        }
        return null;
    }

    /// <summary>Whether <paramref name="path"/> is a directory in the merged view.</summary>
    public static bool IsDirectory(SnapshotMount root, string path)
    {
        var relative = path.TrimStart('/');
        foreach (var layer in Layers(root))
        {
            if (LibC.LStat(Path.Combine(layer, relative)) is { Mode: var mode })
            {
                return (mode & 0xF000) == 0x4000;
            }
        }
        return false;
    }

    private static IEnumerable<string> Layers(SnapshotMount root) => root switch
    {
        OverlaySnapshotMount overlay => overlay.LowerDirectories.Prepend(overlay.UpperDirectory),
        DirectorySnapshotMount directory => [directory.Directory],
        _ => [],
    };
}
