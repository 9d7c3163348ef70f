using Builder.Posix;
using Builder.Sandbox.Snapshots;

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
            // The step may have made a parent a symlink (to anywhere, the host's directories included): never go through one.
            if (!Runtime.RootfsFiles.HasRealParents(writable, path))
            {
                continue;
            }
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
            var lowers = new MergedView(stacked.LowerDirectories);
            foreach (var parent in parents.Where(p => !missing.Contains(p)))
            {
                var full = Path.Combine(stacked.UpperDirectory, parent);
                if (Runtime.RootfsFiles.HasRealParents(stacked.UpperDirectory, parent)
                    && LibC.LStat(full) is { Mode: var mode } && (mode & 0xF000) == 0x4000
                    && !Directory.EnumerateFileSystemEntries(full).Any()
                    && !OverlayForm.IsOpaque(full)
                    && lowers.Lookup(parent) is { IsDirectory: true })
                {
                    Directory.Delete(full);
                }
            }
        }
    }

    // Looked up in the merged view without following any symlink on the host. A target whose parent is a symlink in
    // the image counts as present: the runtime resolves it inside the container and the stub, if any, is not ours to find.
    private static bool Exists(SnapshotMount root, string path) =>
        Runtime.RootfsFiles.Resolve(root, path) is not { } resolved || resolved != path || Runtime.RootfsFiles.View(root).Lookup(path) is not null;

    private static string Normalize(string target) => string.Join('/', target.Split('/', StringSplitOptions.RemoveEmptyEntries));

    private static string Parent(string path) => path.LastIndexOf('/') is var slash and > 0 ? path[..slash] : "";
}
