using Builder.Posix;

namespace Builder.Engine.Semantics;

/// <summary>
/// What a <c>RUN --mount=type=bind</c> (or a cache mount's <c>from=</c>) shows, copied out of its source tree — the
/// context with its .dockerignore, or a stage's or image's layers — into a directory of the build's own. The source
/// path is resolved inside the tree (<see cref="SourceTrees.Follow"/>: symlinks followed only within it, never on the
/// host); below it symlinks are copied as symlinks, which the kernel then resolves inside the container. The copy is
/// what the step mounts, so a writable mount changes the copy, never the source, as BuildKit's do.
/// </summary>
public static class MountSourceCopy
{
    /// <summary>
    /// Copies what <paramref name="source"/> names in <paramref name="tree"/> to the same relative path under
    /// <paramref name="destinationRoot"/>; returns that path ("" for the root).
    /// </summary>
    public static string CopyOut(ICopySourceTree tree, string source, string destinationRoot)
    {
        var (resolved, top) = Find(tree, source);
        // Parents of the source are plain directories here: only the source itself and what is below it are shown.
        if (resolved.Length > 0)
        {
            Directory.CreateDirectory(Path.Combine(destinationRoot, Path.GetDirectoryName(resolved) ?? ""));
        }
        Copy(tree, resolved, top, destinationRoot, resolved.Length == 0 ? 0 : -1);
        return resolved;
    }

    /// <summary>
    /// Copies the directory <paramref name="source"/> names in <paramref name="tree"/> (resolved as for
    /// <see cref="CopyOut"/>) as <paramref name="destination"/> itself: what seeds a cache mount's new directory.
    /// </summary>
    public static void CopyContents(ICopySourceTree tree, string source, string destination)
    {
        var (resolved, top) = Find(tree, source);
        if (!top.IsDirectory)
        {
            throw new BuildException($"cache mount source {source} is not a directory");
        }
        Copy(tree, resolved, top, destination, resolved.Length == 0 ? 0 : resolved.Length + 1);
    }

    private static (string Resolved, SourceEntry Entry) Find(ICopySourceTree tree, string source)
    {
        var cleaned = string.Join('/', SourceTrees.Clean(source));
        var resolved = tree.Follow(cleaned);
        return resolved is null || tree.Stat(resolved) is not { } top || (resolved.Length > 0 && tree.IsIgnored(resolved))
            ? throw new BuildException(tree.NotFound(source, cleaned))
            : (resolved, top);
    }

    // Copies the tree at `resolved` to `destinationRoot`, each path with its first `strip` characters cut off (-1: none).
    private static void Copy(ICopySourceTree tree, string resolved, SourceEntry top, string destinationRoot, int strip)
    {
        string Destination(string path) => strip < 0 ? path : path.Length <= strip ? "" : path[strip..];
        var directories = new List<(string Path, SourceEntry Entry)>();
        Write(top, Destination(resolved), destinationRoot, directories);
        if (top.IsDirectory)
        {
            foreach (var path in tree.Walk(resolved, null))
            {
                if (tree.Stat(path) is { } entry)
                {
                    Write(entry, Destination(path), destinationRoot, directories);
                }
            }
        }
        // Modes last, deepest first: a read-only directory would stop its children from being written.
        foreach (var (path, entry) in Enumerable.Reverse(directories))
        {
            LibC.Chmod(path.Length == 0 ? destinationRoot : Path.Combine(destinationRoot, path), entry.Permissions);
        }
    }

    private static void Write(SourceEntry entry, string path, string destinationRoot, List<(string, SourceEntry)> directories)
    {
        var target = path.Length == 0 ? destinationRoot : Path.Combine(destinationRoot, path);
        if (entry.IsDirectory)
        {
            if (path.Length > 0)
            {
                LibC.MakeDirectory(target, 0b111_000_000);
            }
            directories.Add((path, entry));
        }
        else if (entry.IsSymlink)
        {
            LibC.Symlink(entry.LinkTarget!, target);
        }
        else if (entry.IsRegularFile)
        {
            // The source is opened without following a symlink swapped in since it was listed.
            using (var from = new FileStream(LibC.OpenReadNoFollow(entry.HostPath), FileAccess.Read))
            using (var to = new FileStream(LibC.CreateExclusive(target), FileAccess.Write))
            {
                from.CopyTo(to);
            }
            LibC.Chmod(target, entry.Permissions);
        }
        else
        {
            return; // sockets, devices and fifos are not shown
        }
        if (LibC.IsRoot)
        {
            LibC.LChown(target, entry.Uid, entry.Gid);
        }
    }
}
