using Builder.Dockerfile.Ignore;
using Builder.Oci.Layers;
using Builder.Sandbox.Snapshots;

namespace Builder.Engine.Semantics;

/// <summary>One COPY or ADD with its words expanded and its destination made absolute (a trailing "/" kept).</summary>
public sealed record CopyRequest(IReadOnlyList<string> Sources, string Destination)
{
    public (long Uid, long Gid)? Chown { get; init; }

    public uint? Chmod { get; init; }

    public DockerIgnoreMatcher? Excludes { get; init; }

    /// <summary>ADD: local tar archives (plain, gzip, bzip2, xz, zstd) are extracted into the destination.</summary>
    public bool ExtractArchives { get; init; }

    /// <summary>COPY --parents: each match keeps its path (below a <c>/./</c> pivot when the source has one).</summary>
    public bool Parents { get; init; }
}

/// <summary>The layer a COPY makes, the source paths it read (for its cache key), and temporary files to remove after.</summary>
public sealed class CopyPlan(IReadOnlyList<LayerChange> changes, IReadOnlyList<string> readPaths, IReadOnlyList<string> temporaryDirectories) : IDisposable
{
    public IReadOnlyList<LayerChange> Changes { get; } = changes;

    public IReadOnlyList<string> ReadPaths { get; } = readPaths;

    public void Dispose() => Delete(temporaryDirectories);

    internal static void Delete(IEnumerable<string> temporaryDirectories)
    {
        foreach (var directory in temporaryDirectories.Where(Directory.Exists))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

/// <summary>
/// COPY and ADD as BuildKit does them (dockerfile2llb's copy actions, run by fsutil's copier). The destination is
/// resolved inside the stage's file system: symlinks on the way, the last one included, are followed and kept, and
/// whatever is missing is created behind them. Each source, then each of its matches, is copied in turn onto the
/// destination as the earlier ones left it: a matched symlink is followed (inside its tree); a directory's contents
/// go into the destination, which is made when it is missing; a file goes into the destination when that is a
/// directory by then (or ends in "/"), else becomes it (so several files onto a path that does not end in "/" leave
/// the last). A wildcard may match nothing; a path without one must exist. Directories a copy makes, the
/// destination itself included, are 0755 (or --chmod's mode) and root's (or --chown's); an existing destination
/// directory keeps its owner and mode, while directories copied over existing ones below it take the source's;
/// copied entries keep their modes and times. A directory is never copied onto a file or symlink, nor a file onto a
/// directory: those are BuildKit's errors.
/// </summary>
public static class CopyPlanner
{
    /// <summary>Plans the copy onto <paramref name="destination"/> (<see cref="MergedView.Empty"/> for --link: an empty layer).</summary>
    public static CopyPlan Plan(CopyRequest request, ICopySourceTree source, MergedView destination)
    {
        var cleaned = string.Join('/', SourceTrees.Clean(request.Destination));
        var destinationRoot = new ViewSourceTree(destination).Resolve(cleaned)
            ?? throw new BuildException($"{request.Destination}: too many levels of symbolic links");
        var planner = new Planner(request, source, destination, destinationRoot);
        try
        {
            return planner.Run();
        }
        catch
        {
            // A later source's error (or a hostile archive) must not leave an earlier archive's extraction behind.
            planner.DeleteTemporary();
            throw;
        }
    }

    private sealed class Planner(CopyRequest request, ICopySourceTree source, MergedView destination, string destinationRoot)
    {
        private readonly CopyChanges _changes = new(request, destination);
        private readonly List<string> _temporary = [];
        private readonly List<string> _read = [];

        public CopyPlan Run()
        {
            if (request.Parents)
            {
                foreach (var pattern in request.Sources)
                {
                    CopyWithParents(pattern);
                }
                return Result();
            }
            // A destination ending in "/" (or "/.", "."): a directory, made before anything is copied into it.
            var intoDirectory = request.Destination.EndsWith('/');
            foreach (var pattern in request.Sources)
            {
                foreach (var match in source.Match(pattern, request.Excludes))
                {
                    _read.Add(match);
                    var (real, entry) = FollowSource(match);
                    if (request.ExtractArchives && entry.IsRegularFile && AddArchives.IsArchive(entry.HostPath))
                    {
                        // BuildKit's unpack, tried before the copy: the destination made 0755 (--chown's owner, never
                        // --chmod's mode), the archive extracted into it.
                        _read.Add(real);
                        _changes.MakeDirectories(destinationRoot, extracting: true);
                        Extract(entry.HostPath);
                        continue;
                    }
                    if (intoDirectory)
                    {
                        _changes.MakeDirectories(destinationRoot);
                    }
                    var existing = _changes.Current(destinationRoot);
                    if (entry.IsDirectory)
                    {
                        if (existing is null)
                        {
                            _changes.MakeDirectories(destinationRoot);
                        }
                        else if (existing != LayerEntryType.Directory)
                        {
                            throw new BuildException($"cannot copy to non-directory: /{destinationRoot}");
                        }
                        CopyContents(real, destinationRoot);
                        continue;
                    }
                    var target = existing == LayerEntryType.Directory ? SourceTrees.Join(destinationRoot, Path.GetFileName(match)) : destinationRoot;
                    _changes.AddEntry(entry, target);
                }
            }
            return Result();
        }

        private CopyPlan Result() => new(_changes.ToList(), _read, _temporary);

        public void DeleteTemporary() => CopyPlan.Delete(_temporary);

        // A matched source that is a symlink is followed inside its tree, as BuildKit's FollowSymlinks does.
        private (string Real, SourceEntry Entry) FollowSource(string match)
        {
            var entry = source.Stat(match) ?? throw new BuildException(source.NotFound(match, match));
            if (!entry.IsSymlink)
            {
                return (match, entry);
            }
            var real = source.Follow(match);
            var followed = real is null ? null : source.Stat(real);
            return followed is null
                ? throw new BuildException($"failed to compute cache key: \"/{real ?? string.Join('/', SourceTrees.Clean(entry.LinkTarget ?? match))}\" not found: not found")
                : (real!, followed);
        }

        // Everything below a source directory, onto the target directory (which keeps its own metadata).
        private void CopyContents(string real, string targetRoot)
        {
            foreach (var below in source.Walk(real, request.Excludes))
            {
                var relative = real.Length == 0 ? below : below[(real.Length + 1)..];
                if (source.Stat(below) is { } child && (child.IsDirectory || child.IsSymlink || child.IsRegularFile))
                {
                    _read.Add(below);
                    _changes.AddEntry(child, SourceTrees.Join(targetRoot, relative));
                }
            }
        }

        /// <summary>
        /// --parents: the part before a <c>/./</c> pivot names the roots (wildcards allowed), the part after it (or the
        /// whole source) is matched below each root, <c>**</c> spanning any number of directories; each match lands at
        /// its path below the root, with the directories on the way copied from the source.
        /// </summary>
        private void CopyWithParents(string pattern)
        {
            var pivot = pattern.IndexOf("/./", StringComparison.Ordinal);
            var roots = pivot < 0 || SourceTrees.Clean(pattern[..pivot]).Count == 0
                ? [""]
                : source.Match(pattern[..pivot], null).Select(r => source.Follow(r)).OfType<string>().Where(r => source.Stat(r) is { IsDirectory: true }).ToList();
            if (roots.Count == 0)
            {
                return;
            }
            // Each root is a directory copied (filtered) into the destination, which is made first.
            _changes.MakeDirectories(destinationRoot);
            var rest = SourceTrees.Clean(pivot < 0 ? pattern : pattern[(pivot + 3)..]);
            var found = false;
            foreach (var root in roots)
            {
                foreach (var relative in CopyParentsMatcher.Match(source, root, rest))
                {
                    var full = SourceTrees.Join(root, relative);
                    if (source.IsIgnored(full) || (request.Excludes?.IsExcluded(relative) ?? false) || source.Stat(full) is not { } entry)
                    {
                        continue;
                    }
                    found = true;
                    _read.Add(full);
                    var parts = relative.Split('/');
                    for (var i = 1; i < parts.Length; i++)
                    {
                        var parent = string.Join('/', parts[..i]);
                        if (source.Stat(SourceTrees.Join(root, parent)) is { IsDirectory: true } directory)
                        {
                            _changes.AddEntry(directory, SourceTrees.Join(destinationRoot, parent));
                        }
                    }
                    _changes.AddEntry(entry, SourceTrees.Join(destinationRoot, relative));
                    if (entry.IsDirectory)
                    {
                        CopyContents(full, SourceTrees.Join(destinationRoot, relative));
                    }
                }
            }
            // BuildKit requires the path only when it has no wildcards (RequiredPaths).
            if (!found && !GoGlob.HasWildcards(pattern))
            {
                throw new BuildException(source.NotFound(pattern, string.Join('/', SourceTrees.Clean(pattern))));
            }
        }

        private void Extract(string archive)
        {
            var extracted = Directory.CreateTempSubdirectory("builder-add-").FullName;
            _temporary.Add(extracted);
            using (var tar = AddArchives.OpenDecompressed(archive))
            {
                // The same safe applier layers use: nothing in the archive can land outside the target.
                LayerApplier.ApplyAsync(tar, extracted, new LayerApplyOptions(), CancellationToken.None).GetAwaiter().GetResult();
            }
            var tree = new DirectorySourceTree(extracted);
            foreach (var below in tree.Walk("", null))
            {
                if (tree.Stat(below) is { } entry && (entry.IsDirectory || entry.IsSymlink || entry.IsRegularFile))
                {
                    _changes.AddEntry(entry, SourceTrees.Join(destinationRoot, below), extracting: true);
                }
            }
        }
    }
}
