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
        var parents = new SortedSet<string>(Comparer<string>.Create((a, b) => b.Length != a.Length ? b.Length.CompareTo(a.Length) : string.CompareOrdinal(a, b)));
        foreach (var path in missing)
        {
            for (var parent = Parent(path); parent.Length > 0; parent = Parent(parent))
            {
                parents.Add(parent);
            }
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
        if (root is OverlaySnapshotMount stacked)
        {
            // Making a stub copied its parent directories up; an emptied copy-up of a lower directory changes nothing.
            foreach (var parent in parents.Where(p => !missing.Contains(p)))
            {
                var full = Path.Combine(stacked.UpperDirectory, parent);
                if (LibC.LStat(full) is { Mode: var mode } && (mode & 0xF000) == 0x4000
                    && !Directory.EnumerateFileSystemEntries(full).Any()
                    && !LibC.ListXattrs(full).Keys.Any(k => k.EndsWith("overlay.opaque", StringComparison.Ordinal))
                    && stacked.LowerDirectories.Any(l => LibC.LStat(Path.Combine(l, parent)) is { Mode: var lowerMode } && (lowerMode & 0xF000) == 0x4000))
                {
                    Directory.Delete(full);
                }
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
