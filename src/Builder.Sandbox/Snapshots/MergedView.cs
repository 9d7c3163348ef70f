using Builder.Posix;

namespace Builder.Sandbox.Snapshots;

/// <summary>
/// A file system read through its extracted layer directories (overlay form, top layer first) without mounting them:
/// an upper layer's whiteout hides a path, an opaque directory hides what lower layers hold below it. The one reading
/// of a layer stack: the engine reads stages and images through it (<see cref="LayerCache.ViewAsync"/>), the runtime
/// a snapshot before its process starts (<see cref="Runtime.RootfsFiles"/>).
/// </summary>
/// <remarks>
/// Symlinks are the image's: nothing is ever looked up below one (the host would follow it, an absolute one onto its
/// own files), and files are opened without following a final one.
/// </remarks>
public sealed class MergedView(IReadOnlyList<string> layersTopFirst, bool immutable = false)
{
    // Over extracted layers, which never change, lookups are remembered: a COPY of 4,000 files into a directory the
    // stage lacks then costs one lookup of that directory, not a walk of every file's parents in every layer (17,000
    // failed statx calls of a 0.12 s no-op rebuild). A snapshot's view (its upper layer changes) remembers nothing.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, MergedEntry?>? _lookups = immutable ? new(StringComparer.Ordinal) : null;

    public static MergedView Empty { get; } = new([]);

    /// <summary>
    /// The entry at <paramref name="path"/> ("/" separated, from the root; a leading "/" is optional), or null (missing,
    /// or deleted by a whiteout). Symlinks are not followed: a path below one is not there.
    /// </summary>
    public MergedEntry? Lookup(string path)
    {
        var relative = path.Trim('/');
        if (_lookups is null || relative.Length == 0)
        {
            return Find(relative);
        }
        if (_lookups.TryGetValue(relative, out var known))
        {
            return known;
        }
        // A path is only there below a directory of the view: where the parent is missing (or no directory), so is it.
        var parent = System.IO.Path.GetDirectoryName(relative);
        var entry = string.IsNullOrEmpty(parent) || Lookup(parent) is { IsDirectory: true } ? Find(relative) : null;
        return _lookups.GetOrAdd(relative, entry);
    }

    private MergedEntry? Find(string relative)
    {
        if (relative.Length == 0)
        {
            var bottom = layersTopFirst.Count > 0 ? layersTopFirst[^1] : "/";
            var mtime = layersTopFirst.Count > 0 && LibC.LStat(bottom) is { } root ? root.MtimeSeconds : 0;
            return new MergedEntry("/", bottom, 0x4000 | 0b111_101_101, 0, 0, mtime, null, 0);
        }
        foreach (var layer in Visible(relative))
        {
            var full = System.IO.Path.Combine(layer, relative);
            if (LibC.LStat(full) is { } status)
            {
                return status.IsOverlayWhiteout
                    ? null
                    : new MergedEntry("/" + relative, full, status.Mode, status.Uid, status.Gid, status.MtimeSeconds, status.IsSymlink ? LibC.ReadLink(full) : null, status.Size);
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
            if (!status.IsDirectory)
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
                if (LibC.LStat(child) is { } childStatus && childStatus.IsOverlayWhiteout)
                {
                    hidden.Add(name);
                    continue;
                }
                names.Add(name);
            }
            if (OverlayForm.IsOpaque(full))
            {
                break;
            }
        }
        return [.. names];
    }

    /// <summary>A text file's content in the merged view, or null when there is no regular file at the path.</summary>
    public string? ReadText(string path)
    {
        if (Lookup(path) is not { IsRegularFile: true } entry)
        {
            return null;
        }
        using var file = new FileStream(LibC.OpenReadNoFollow(entry.HostPath), FileAccess.Read);
        using var reader = new StreamReader(file);
        return reader.ReadToEnd();
    }

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
                if (status.IsOverlayWhiteout || !status.IsDirectory)
                {
                    yield break;
                }
                opaque |= OverlayForm.IsOpaque(full);
            }
            yield return layer;
            if (opaque)
            {
                yield break;
            }
        }
    }
}
