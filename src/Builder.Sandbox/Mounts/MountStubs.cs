using Builder.Oci.Layers;

namespace Builder.Sandbox.Mounts;

/// <summary>
/// The runtime creates a file or directory at each mount target that does not exist yet; those stubs are not the
/// step's work and must not reach its layer (BuildKit removes them too). Record what is missing before the step,
/// remove what is still an empty stub after it.
/// </summary>
public static class MountStubs
{
    /// <summary>The mount targets, and their parents, that the root does not have yet (deepest first).</summary>
    public static IReadOnlyList<string> FindMissing(SnapshotMount root, IEnumerable<string> targets)
    {
        var missing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            for (var path = Normalize(target); path.Length > 0; path = Parent(path))
            {
                if (Exists(root, path))
                {
                    break;
                }
                missing.Add(path);
            }
        }
        return [.. missing.OrderByDescending(p => p.Count(c => c == '/')).ThenBy(p => p, StringComparer.Ordinal)];
    }

    /// <summary>Deletes the stubs among <paramref name="missing"/> that the step left empty.</summary>
    public static void Remove(SnapshotMount root, IReadOnlyList<string> missing)
    {
        var writable = root switch
        {
            OverlaySnapshotMount overlay => overlay.UpperDirectory,
            DirectorySnapshotMount directory => directory.Directory,
            _ => throw new ArgumentException($"unknown snapshot mount {root.GetType().Name}", nameof(root)),
        };
        foreach (var path in missing)
        {
            var full = Path.Combine(writable, path);
            switch (LibC.LStat(full))
            {
                case { Mode: var mode, Size: 0 } when (mode & 0xF000) == 0x8000:
                    File.Delete(full);
                    break;
                case { Mode: var mode } when (mode & 0xF000) == 0x4000 && !Directory.EnumerateFileSystemEntries(full).Any():
                    Directory.Delete(full);
                    break;
            }
        }
    }

    private static bool Exists(SnapshotMount root, string path) => root switch
    {
        OverlaySnapshotMount overlay => ExistsInLayers(overlay, path),
        DirectorySnapshotMount directory => Present(Path.Combine(directory.Directory, path)),
        _ => false,
    };

    // The merged view: the upper first (where a 0/0 character device is a whiteout), then lowers top-first.
    private static bool ExistsInLayers(OverlaySnapshotMount overlay, string path)
    {
        foreach (var layer in overlay.LowerDirectories.Prepend(overlay.UpperDirectory))
        {
            var full = Path.Combine(layer, path);
            if (IsWhiteout(full))
            {
                return false;
            }
            if (Present(full))
            {
                return true;
            }
        }
        return false;
    }

    private static bool Present(string path) => LibC.LStat(path) is not null;

    private static bool IsWhiteout(string path) =>
        LibC.LStat(path) is { } status && (status.Mode & 0xF000) == 0x2000 && status.RdevMajor == 0 && status.RdevMinor == 0;

    private static string Normalize(string target) => string.Join('/', target.Split('/', StringSplitOptions.RemoveEmptyEntries));

    private static string Parent(string path) => path.LastIndexOf('/') is var slash and > 0 ? path[..slash] : "";
}
