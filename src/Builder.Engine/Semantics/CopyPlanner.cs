using Builder.Dockerfile.Ignore;
using Builder.Oci.Layers;

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

    public void Dispose()
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
        return new Planner(request, source, destination, destinationRoot).Run();
    }

    private sealed class Planner(CopyRequest request, ICopySourceTree source, MergedView destination, string destinationRoot)
    {
        private readonly Dictionary<string, LayerChange> _changes = new(StringComparer.Ordinal);
        private readonly List<string> _order = [];
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
                        MakeDirectories(destinationRoot, extracting: true);
                        Extract(entry.HostPath);
                        continue;
                    }
                    if (intoDirectory)
                    {
                        MakeDirectories(destinationRoot);
                    }
                    var existing = Current(destinationRoot);
                    if (entry.IsDirectory)
                    {
                        if (existing is null)
                        {
                            MakeDirectories(destinationRoot);
                        }
                        else if (existing != LayerEntryType.Directory)
                        {
                            throw new BuildException($"cannot copy to non-directory: /{destinationRoot}");
                        }
                        CopyContents(real, destinationRoot);
                        continue;
                    }
                    var target = existing == LayerEntryType.Directory ? SourceTrees.Join(destinationRoot, Path.GetFileName(match)) : destinationRoot;
                    AddEntry(entry, target);
                }
            }
            return Result();
        }

        private CopyPlan Result() => new([.. _order.Select(p => _changes[p])], _read, _temporary);

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
                    AddEntry(child, SourceTrees.Join(targetRoot, relative));
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
            MakeDirectories(destinationRoot);
            var rest = SourceTrees.Clean(pivot < 0 ? pattern : pattern[(pivot + 3)..]);
            var found = false;
            foreach (var root in roots)
            {
                foreach (var relative in MatchBelow(root, rest, 0).Distinct(StringComparer.Ordinal).ToList())
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
                            AddEntry(directory, SourceTrees.Join(destinationRoot, parent));
                        }
                    }
                    AddEntry(entry, SourceTrees.Join(destinationRoot, relative));
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

        private IEnumerable<string> MatchBelow(string directory, IReadOnlyList<string> segments, int index, string relative = "")
        {
            if (index == segments.Count)
            {
                if (relative.Length > 0)
                {
                    yield return relative;
                }
                yield break;
            }
            var segment = segments[index];
            var here = SourceTrees.Join(directory, relative);
            if (segment == "**")
            {
                foreach (var match in MatchBelow(directory, segments, index + 1, relative))
                {
                    yield return match;
                }
                if (source.Stat(here) is { IsDirectory: true })
                {
                    foreach (var child in source.List(here).Where(c => source.Stat(SourceTrees.Join(here, c)) is { IsDirectory: true }))
                    {
                        foreach (var match in MatchBelow(directory, segments, index, SourceTrees.Join(relative, child)))
                        {
                            yield return match;
                        }
                    }
                }
                yield break;
            }
            IEnumerable<string> names;
            if (GoGlob.HasWildcards(segment))
            {
                var regex = GoGlob.Compile(segment);
                names = source.Stat(here) is { IsDirectory: true } ? source.List(here).Where(n => regex.IsMatch(n)) : [];
            }
            else
            {
                names = source.Stat(SourceTrees.Join(here, segment)) is not null ? [segment] : [];
            }
            foreach (var name in names)
            {
                var next = SourceTrees.Join(relative, name);
                if (index == segments.Count - 1 || source.Stat(SourceTrees.Join(directory, next)) is { IsDirectory: true })
                {
                    foreach (var match in MatchBelow(directory, segments, index + 1, next))
                    {
                        yield return match;
                    }
                }
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
                    AddEntry(entry, SourceTrees.Join(destinationRoot, below), extracting: true);
                }
            }
        }

        private void Add(LayerChange change)
        {
            if (!_changes.ContainsKey(change.Path))
            {
                _order.Add(change.Path);
            }
            _changes[change.Path] = change;
        }

        // What is at a path once the copy so far is applied (symlinks not followed): null when nothing is.
        private LayerEntryType? Current(string path)
        {
            if (_changes.TryGetValue(path, out var change))
            {
                return (change as LayerEntry)?.Type;
            }
            return destination.Lookup("/" + path) switch
            {
                null => null,
                { IsDirectory: true } => LayerEntryType.Directory,
                { IsSymlink: true } => LayerEntryType.Symlink,
                _ => LayerEntryType.RegularFile,
            };
        }

        /// <summary>
        /// fsutil's MkdirAll on a resolved path: each missing directory is made (<see cref="NewDirectory"/>), an existing
        /// one is written with its own metadata (so the layer's overlay form keeps it as it was), anything else on the
        /// way is an error.
        /// </summary>
        private void MakeDirectories(string path, bool extracting = false)
        {
            var current = "";
            foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                current = SourceTrees.Join(current, part);
                switch (Current(current))
                {
                    case null:
                        Add(NewDirectory(current, extracting));
                        break;
                    case LayerEntryType.Directory:
                        if (!_changes.ContainsKey(current))
                        {
                            Add(Existing(current)!);
                        }
                        break;
                    default:
                        throw new BuildException($"mkdir /{current}: not a directory");
                }
            }
        }

        private void EnsureParents(string path, bool extracting)
        {
            var parent = Path.GetDirectoryName(path)?.Replace('\\', '/') ?? "";
            if (parent.Length > 0 && !(_changes.TryGetValue(parent, out var made) && made is LayerEntry { Type: LayerEntryType.Directory }))
            {
                MakeDirectories(parent, extracting);
            }
        }

        private LayerEntry? Existing(string path) =>
            destination.Lookup("/" + path) is { IsDirectory: true } existing
                ? new LayerEntry(path, LayerEntryType.Directory) { Mode = (UnixFileMode)existing.Permissions, UserId = existing.Uid, GroupId = existing.Gid }
                : null;

        /// <summary>
        /// One copied entry at its target, with the source's metadata (--chown's owner, --chmod's mode): a directory
        /// replaces an existing one's metadata. An archive's entries keep their modes (BuildKit's unpack never applies
        /// --chmod) and replace what is there, as a tar extraction does.
        /// </summary>
        private void AddEntry(SourceEntry entry, string target, bool extracting = false)
        {
            EnsureParents(target, extracting);
            var (uid, gid) = request.Chown ?? (entry.Uid, entry.Gid);
            var mode = (UnixFileMode)(extracting ? entry.Permissions : request.Chmod ?? entry.Permissions);
            var existing = extracting ? null : Current(target);
            if (entry.IsDirectory)
            {
                if (existing is { } type && type != LayerEntryType.Directory)
                {
                    throw new BuildException($"cannot copy to non-directory: /{target}");
                }
                Add(new LayerEntry(target, LayerEntryType.Directory)
                {
                    Mode = mode, UserId = uid, GroupId = gid, ModificationTime = entry.ModificationTime,
                });
                return;
            }
            if (existing == LayerEntryType.Directory)
            {
                throw new BuildException($"cannot replace to directory /{target} with file");
            }
            Add(entry.IsSymlink
                ? new LayerEntry(target, LayerEntryType.Symlink)
                {
                    Mode = (UnixFileMode)0b111_111_111, UserId = uid, GroupId = gid, LinkTarget = entry.LinkTarget, ModificationTime = entry.ModificationTime,
                }
                : new LayerEntry(target, LayerEntryType.RegularFile)
                {
                    Mode = mode, UserId = uid, GroupId = gid, ModificationTime = entry.ModificationTime,
                    Size = new FileInfo(entry.HostPath).Length, Content = LayerContent.FromFile(entry.HostPath),
                });
        }

        // A directory the copy makes: 0755, or --chmod's permission bits (Go's Mkdir and Chmod drop the setuid, setgid
        // and sticky bits of a plain number), never --chmod's for an archive's destination; root's or --chown's.
        private LayerEntry NewDirectory(string path, bool extracting) => new(path, LayerEntryType.Directory)
        {
            Mode = (UnixFileMode)(extracting || request.Chmod is null ? 0b111_101_101 : request.Chmod.Value & 0b111_111_111),
            UserId = request.Chown?.Uid ?? 0,
            GroupId = request.Chown?.Gid ?? 0,
        };
    }
}
