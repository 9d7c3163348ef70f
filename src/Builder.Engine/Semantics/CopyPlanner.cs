using System.IO.Compression;
using Builder.Dockerfile.Ignore;
using Builder.Oci.Layers;
using ICSharpCode.SharpZipLib.BZip2;

namespace Builder.Engine.Semantics;

/// <summary>One COPY or ADD with its words expanded and its destination made absolute (a trailing "/" kept).</summary>
public sealed record CopyRequest(IReadOnlyList<string> Sources, string Destination)
{
    public (long Uid, long Gid)? Chown { get; init; }

    public uint? Chmod { get; init; }

    public DockerIgnoreMatcher? Excludes { get; init; }

    /// <summary>ADD: local tar archives (plain, gzip, bzip2) are extracted into the destination.</summary>
    public bool ExtractArchives { get; init; }
}

/// <summary>The layer a COPY makes, the context paths it read (for its cache key), and temporary files to remove after.</summary>
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
/// COPY and ADD as docker does them: a directory source copies its contents; a file goes into the destination when
/// that ends in "/" or is an existing directory, else becomes it; several sources need a directory destination;
/// missing parents are created 0755 (owned as --chown says); files keep their modes and times.
/// </summary>
public static class CopyPlanner
{
    private const uint DirectoryType = 0x4000;

    public static CopyPlan Plan(CopyRequest request, ICopySourceTree source, MergedView destination)
    {
        var matches = request.Sources.SelectMany(s => source.Resolve(s, request.Excludes)).ToList();
        var destinationIsDirectory = request.Destination.EndsWith('/') || matches.Count > 1
            || destination.Lookup(request.Destination) is { IsDirectory: true };
        if (request.Sources.Count > 1 && !request.Destination.EndsWith('/'))
        {
            throw new BuildException("When using COPY with more than one source file, the destination must be a directory and end with a /");
        }
        var destinationRoot = Normalize(request.Destination);
        var changes = new Dictionary<string, LayerChange>(StringComparer.Ordinal);
        var order = new List<string>();
        var temporary = new List<string>();
        var read = new List<string>();

        void Add(LayerChange change)
        {
            if (!changes.ContainsKey(change.Path))
            {
                order.Add(change.Path);
            }
            changes[change.Path] = change;
        }

        void EnsureParents(string path)
        {
            var parent = Path.GetDirectoryName(path)?.Replace('\\', '/') ?? "";
            if (parent.Length == 0 || changes.ContainsKey(parent))
            {
                return;
            }
            EnsureParents(parent);
            // An existing directory is written with its own metadata, so the layer's overlay form keeps it as it was.
            Add(destination.Lookup("/" + parent) is { IsDirectory: true } existing
                ? new LayerEntry(parent, LayerEntryType.Directory) { Mode = (UnixFileMode)existing.Permissions, UserId = existing.Uid, GroupId = existing.Gid }
                : NewDirectory(parent, request));
        }

        void AddEntry(SourceEntry entry, string target, uint? forceMode = null)
        {
            EnsureParents(target);
            read.Add(entry.Path);
            var (uid, gid) = request.Chown ?? (entry.Uid, entry.Gid);
            var mode = (UnixFileMode)(forceMode ?? request.Chmod ?? entry.Permissions);
            Add(entry switch
            {
                { IsDirectory: true } => new LayerEntry(target, LayerEntryType.Directory) { Mode = mode, UserId = uid, GroupId = gid, ModificationTime = entry.ModificationTime },
                { IsSymlink: true } => new LayerEntry(target, LayerEntryType.Symlink)
                {
                    Mode = (UnixFileMode)0b111_111_111, UserId = uid, GroupId = gid, LinkTarget = entry.LinkTarget, ModificationTime = entry.ModificationTime,
                },
                _ => new LayerEntry(target, LayerEntryType.RegularFile)
                {
                    Mode = mode, UserId = uid, GroupId = gid, ModificationTime = entry.ModificationTime,
                    Size = new FileInfo(entry.HostPath).Length, Content = LayerContent.FromFile(entry.HostPath),
                },
            });
        }

        foreach (var match in matches)
        {
            var entry = source.Stat(match) ?? throw new BuildException($"failed to compute cache key: \"/{match}\" not found: not found");
            if (entry.IsDirectory)
            {
                if (destinationRoot.Length > 0)
                {
                    AddEntry(entry, destinationRoot, destination.Lookup("/" + destinationRoot) is { IsDirectory: true } existing ? existing.Permissions : null);
                }
                foreach (var below in source.Walk(match, request.Excludes))
                {
                    var relative = match.Length == 0 ? below : below[(match.Length + 1)..];
                    var child = source.Stat(below);
                    if (child is not null && (child.IsDirectory || child.IsSymlink || (child.Mode & 0xF000) == 0x8000))
                    {
                        AddEntry(child, Join(destinationRoot, relative));
                    }
                }
                continue;
            }
            if (request.ExtractArchives && !entry.IsSymlink && ArchiveKind(entry.HostPath) is { } kind)
            {
                read.Add(entry.Path);
                var extracted = Extract(entry.HostPath, kind);
                temporary.Add(extracted);
                foreach (var below in Directory.EnumerateFileSystemEntries(extracted, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                {
                    var relative = Path.GetRelativePath(extracted, below).Replace('\\', '/');
                    if (LibC.LStat(below) is { } status)
                    {
                        var archived = new SourceEntry(relative, below, status.Mode, status.Uid, status.Gid,
                            DateTimeOffset.FromUnixTimeSeconds(status.MtimeSeconds), (status.Mode & 0xF000) == 0xA000 ? LibC.ReadLink(below) : null);
                        AddEntry(archived, Join(destinationRoot, relative));
                    }
                }
                continue;
            }
            var name = Path.GetFileName(match);
            AddEntry(entry, destinationIsDirectory ? Join(destinationRoot, name) : destinationRoot);
        }
        return new CopyPlan([.. order.Select(p => changes[p])], read, temporary);
    }

    private static LayerEntry NewDirectory(string path, CopyRequest request) => new(path, LayerEntryType.Directory)
    {
        Mode = (UnixFileMode)0b111_101_101,
        UserId = request.Chown?.Uid ?? 0,
        GroupId = request.Chown?.Gid ?? 0,
    };

    private static string Normalize(string absolute) => string.Join('/', absolute.Split('/', StringSplitOptions.RemoveEmptyEntries));

    private static string Join(string directory, string name) => directory.Length == 0 ? name : $"{directory}/{name}";

    private enum Archive
    {
        Tar,
        Gzip,
        Bzip2,
        Xz,
    }

    // ADD recognises archives by content, not by name, as docker does.
    private static Archive? ArchiveKind(string path)
    {
        using var file = File.OpenRead(path);
        var head = new byte[512];
        var read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return head switch
        {
            [0x1f, 0x8b, ..] => Archive.Gzip,
            [(byte)'B', (byte)'Z', (byte)'h', ..] => Archive.Bzip2,
            [0xfd, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00, ..] => Archive.Xz,
            _ when read >= 262 && head.AsSpan(257, 5).SequenceEqual("ustar"u8) => Archive.Tar,
            _ => null,
        };
    }

    private static string Extract(string archive, Archive kind)
    {
        if (kind == Archive.Xz)
        {
            throw new BuildException($"ADD {Path.GetFileName(archive)}: xz archives are not supported; use a gzip or bzip2 tar");
        }
        var target = Directory.CreateTempSubdirectory("builder-add-").FullName;
        using var file = File.OpenRead(archive);
        using Stream tar = kind switch
        {
            Archive.Gzip => new GZipStream(file, CompressionMode.Decompress),
            Archive.Bzip2 => new BZip2InputStream(file),
            _ => file,
        };
        // The same safe applier layers use: nothing in the archive can land outside the target.
        LayerApplier.ApplyAsync(tar, target, new LayerApplyOptions(), CancellationToken.None).GetAwaiter().GetResult();
        return target;
    }
}
