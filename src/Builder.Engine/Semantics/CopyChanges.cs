using Builder.Oci.Layers;
using Builder.Sandbox.Snapshots;

namespace Builder.Engine.Semantics;

/// <summary>
/// The layer a COPY or ADD builds, over the stage's file system: its changes in the order their paths were first
/// written, what is at a path once they are applied, the directories it makes (fsutil's MkdirAll) and each copied
/// entry with --chown's owner and --chmod's mode.
/// </summary>
internal sealed class CopyChanges(CopyRequest request, MergedView destination)
{
    private readonly Dictionary<string, LayerChange> _changes = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public IReadOnlyList<LayerChange> ToList() => [.. _order.Select(p => _changes[p])];

    private void Add(LayerChange change)
    {
        if (!_changes.ContainsKey(change.Path))
        {
            _order.Add(change.Path);
        }
        _changes[change.Path] = change;
    }

    // What is at a path once the copy so far is applied (symlinks not followed): null when nothing is.
    public LayerEntryType? Current(string path)
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
    public void MakeDirectories(string path, bool extracting = false)
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
    public void AddEntry(SourceEntry entry, string target, bool extracting = false)
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
                Size = entry.Size, Content = LayerContent.FromFile(entry.HostPath),
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
