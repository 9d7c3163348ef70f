using Builder.Oci.Content;
using Builder.Oci.Layers;
using Builder.Posix;

namespace Builder.Sandbox.Snapshots;

/// <summary>
/// Turns an overlay upper directory into layer changes: 0/0 character devices are deletions (whiteouts), directories
/// with the opaque xattr hide everything below from lower layers, files that share an inode are hardlinks, and
/// overlayfs's own xattrs are left out.
/// </summary>
public static class UpperDiff
{
    public static IReadOnlyList<LayerChange> Changes(string upper)
    {
        var changes = new List<LayerChange>();
        var firstPathOfInode = new Dictionary<ulong, string>();
        Walk(upper, "", changes, firstPathOfInode);
        return changes;
    }

    public static async Task<LayerDescriptor?> WriteAsync(string upper, IContentIngester store, LayerWriterOptions options, CancellationToken cancellationToken)
    {
        var changes = Changes(upper);
        if (changes.Count == 0)
        {
            return null;
        }
        return await LayerWriter.WriteToStoreAsync(store, changes, options, cancellationToken).ConfigureAwait(false);
    }

    private static void Walk(string upper, string relative, List<LayerChange> changes, Dictionary<ulong, string> firstPathOfInode)
    {
        var directory = relative.Length == 0 ? upper : Path.Combine(upper, relative);
        foreach (var name in Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal))
        {
            var path = relative.Length == 0 ? name! : $"{relative}/{name}";
            var full = Path.Combine(upper, path);
            if (LibC.LStat(full) is not { } status)
            {
                continue;
            }
            var type = status.Mode & 0xF000;
            if (status.IsOverlayWhiteout)
            {
                changes.Add(new LayerWhiteout(path));
                continue;
            }
            var xattrs = LibC.ListXattrs(full);
            var opaque = xattrs.Keys.Any(OverlayForm.IsOpaqueXattr);
            var kept = xattrs.Where(x => !OverlayForm.IsOverlayXattr(x.Key)).ToDictionary(x => x.Key, x => x.Value);
            var entry = new LayerEntry(path, TypeOf(type))
            {
                Mode = (UnixFileMode)(status.Mode & 0b111_111_111_111),
                UserId = status.Uid,
                GroupId = status.Gid,
                ModificationTime = DateTimeOffset.FromUnixTimeSeconds(status.MtimeSeconds),
                ExtendedAttributes = kept,
            };
            switch (entry.Type)
            {
                case LayerEntryType.Directory:
                    changes.Add(entry);
                    if (opaque)
                    {
                        changes.Add(new LayerOpaqueDirectory(path));
                    }
                    Walk(upper, path, changes, firstPathOfInode);
                    break;
                case LayerEntryType.RegularFile when status.Links > 1 && firstPathOfInode.TryGetValue(status.Inode, out var first):
                    changes.Add(entry with { Type = LayerEntryType.Hardlink, LinkTarget = first });
                    break;
                case LayerEntryType.RegularFile:
                    if (status.Links > 1)
                    {
                        firstPathOfInode[status.Inode] = path;
                    }
                    changes.Add(entry with { Size = status.Size, Content = LayerContent.FromFile(full) });
                    break;
                case LayerEntryType.Symlink:
                    changes.Add(entry with { LinkTarget = LibC.ReadLink(full) });
                    break;
                case LayerEntryType.CharacterDevice or LayerEntryType.BlockDevice:
                    changes.Add(entry with { DeviceMajor = status.RdevMajor, DeviceMinor = status.RdevMinor });
                    break;
                default:
                    changes.Add(entry);
                    break;
            }
        }
    }

    private static LayerEntryType TypeOf(uint type) => type switch
    {
        0x4000 => LayerEntryType.Directory,
        0xA000 => LayerEntryType.Symlink,
        0x2000 => LayerEntryType.CharacterDevice,
        0x6000 => LayerEntryType.BlockDevice,
        0x1000 => LayerEntryType.Fifo,
        _ => LayerEntryType.RegularFile,
    };
}
