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
/// COPY and ADD as BuildKit does them. A source that is a symlink is followed (inside its tree); a directory
/// source copies its contents; a file goes into the destination when that ends in "/" or is an existing directory,
/// else becomes it; several sources need a directory destination. The destination's own symlinks are followed in
/// the stage's file system. Missing parents are created 0755 (owned as --chown says); an existing destination
/// directory keeps its owner and mode, while directories copied over existing ones below it take the source's;
/// copied entries keep their modes and times.
/// </summary>
public static class CopyPlanner
{
    /// <summary>Plans the copy onto <paramref name="destination"/> (<see cref="MergedView.Empty"/> for --link: an empty layer).</summary>
    public static CopyPlan Plan(CopyRequest request, ICopySourceTree source, MergedView destination)
    {
        if (request.Sources.Count > 1 && !request.Destination.EndsWith('/'))
        {
            throw new BuildException("When using COPY with more than one source file, the destination must be a directory and end with a /");
        }
        var target = new ViewSourceTree(destination);
        var cleaned = string.Join('/', SourceTrees.Clean(request.Destination));
        var destinationRoot = target.Follow(cleaned) ?? cleaned;
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
            var matches = request.Sources.SelectMany(s => source.Match(s, request.Excludes)).ToList();
            var destinationIsDirectory = request.Destination.EndsWith('/') || matches.Count > 1
                || destination.Lookup("/" + destinationRoot) is { IsDirectory: true };
            foreach (var match in matches)
            {
                _read.Add(match);
                var (real, entry) = FollowSource(match);
                if (entry.IsDirectory)
                {
                    CopyTree(real, entry, destinationRoot);
                    continue;
                }
                if (request.ExtractArchives && entry.IsRegularFile && AddArchives.IsArchive(entry.HostPath))
                {
                    _read.Add(real);
                    Extract(entry.HostPath);
                    continue;
                }
                AddEntry(entry, destinationIsDirectory ? SourceTrees.Join(destinationRoot, Path.GetFileName(match)) : destinationRoot);
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

        // A directory's contents go into the target; the target itself takes the directory's metadata unless it exists.
        private void CopyTree(string real, SourceEntry directory, string targetRoot, bool keepTop = true)
        {
            if (targetRoot.Length > 0)
            {
                AddEntry(directory, targetRoot, keepExisting: keepTop);
            }
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
                    if (entry.IsDirectory)
                    {
                        CopyTree(full, entry, SourceTrees.Join(destinationRoot, relative), keepTop: false);
                    }
                    else
                    {
                        AddEntry(entry, SourceTrees.Join(destinationRoot, relative));
                    }
                }
            }
            if (!found)
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
                    AddEntry(entry, SourceTrees.Join(destinationRoot, below));
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

        private void EnsureParents(string path)
        {
            var parent = Path.GetDirectoryName(path)?.Replace('\\', '/') ?? "";
            if (parent.Length == 0 || _changes.ContainsKey(parent))
            {
                return;
            }
            EnsureParents(parent);
            // An existing directory is written with its own metadata, so the layer's overlay form keeps it as it was.
            Add(Existing(parent) ?? NewDirectory(parent));
        }

        private LayerEntry? Existing(string path) =>
            destination.Lookup("/" + path) is { IsDirectory: true } existing
                ? new LayerEntry(path, LayerEntryType.Directory) { Mode = (UnixFileMode)existing.Permissions, UserId = existing.Uid, GroupId = existing.Gid }
                : null;

        private void AddEntry(SourceEntry entry, string target, bool keepExisting = false)
        {
            EnsureParents(target);
            var (uid, gid) = request.Chown ?? (entry.Uid, entry.Gid);
            var mode = (UnixFileMode)(request.Chmod ?? entry.Permissions);
            if (entry.IsDirectory)
            {
                // The destination directory itself, when it exists (in the stage, or made earlier by this copy), keeps its
                // metadata; directories below it take the source's, as BuildKit's copier overwrites them.
                if (keepExisting && _changes.TryGetValue(target, out var made) && made is LayerEntry { Type: LayerEntryType.Directory })
                {
                    return;
                }
                Add((keepExisting ? Existing(target) : null) ?? new LayerEntry(target, LayerEntryType.Directory)
                {
                    Mode = mode, UserId = uid, GroupId = gid, ModificationTime = entry.ModificationTime,
                });
                return;
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

        private LayerEntry NewDirectory(string path) => new(path, LayerEntryType.Directory)
        {
            Mode = (UnixFileMode)0b111_101_101,
            UserId = request.Chown?.Uid ?? 0,
            GroupId = request.Chown?.Gid ?? 0,
        };
    }
}
