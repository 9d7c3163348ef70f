using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.Layers;
using Builder.Posix;

namespace Builder.Sandbox.Snapshots;

/// <summary>
/// Snapshots as plain directories, for where overlayfs cannot be mounted: the parents are flattened into a fresh
/// directory and the tree is recorded; the diff compares the tree after the step with that record (type, mode,
/// owner, size, mtime, inode, link target), as docker's vfs driver does. Slower than overlay, and as exact.
/// </summary>
public sealed class CopySnapshotter(string root, StoreLease? lease = null) : ISnapshotter
{
    public string Root { get; } = root;

    public async Task<ISnapshot> PrepareAsync(IReadOnlyList<ILayer> parents, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Path.GetFullPath(Root), "snapshots", Guid.NewGuid().ToString("N"));
        lease?.Hold(LeaseKind.Path, directory);
        var rootfs = Path.Combine(directory, "rootfs");
        Directory.CreateDirectory(rootfs);
        foreach (var layer in parents)
        {
            await using var tar = await layer.OpenUncompressedAsync(cancellationToken).ConfigureAwait(false);
            await LayerApplier.ApplyAsync(tar, rootfs, null, cancellationToken).ConfigureAwait(false);
        }
        return new CopySnapshot(new DirectorySnapshotMount(rootfs), directory, Record(rootfs));
    }

    public async Task<LayerDescriptor?> CommitDiffAsync(ISnapshot snapshot, IContentIngester store, LayerWriterOptions options, CancellationToken cancellationToken)
    {
        if (snapshot is not CopySnapshot copy)
        {
            throw new ArgumentException("not a copy snapshot", nameof(snapshot));
        }
        var changes = Diff(copy.Mount.Directory, copy.Before);
        if (changes.Count == 0)
        {
            return null;
        }
        return await LayerWriter.WriteToStoreAsync(store, changes, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What changed in <paramref name="rootfs"/> since <paramref name="before"/> was recorded, as layer changes.</summary>
    public static IReadOnlyList<LayerChange> Diff(string rootfs, IReadOnlyDictionary<string, EntryState> before)
    {
        var after = Record(rootfs);
        var changed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (path, state) in after)
        {
            if (!before.TryGetValue(path, out var old) || old != state)
            {
                changed.Add(path);
            }
        }
        var changes = new List<LayerChange>();
        // A deleted path needs one whiteout; what was below it goes with it.
        foreach (var path in before.Keys.Where(p => !after.ContainsKey(p)).Order(StringComparer.Ordinal))
        {
            var parent = Path.GetDirectoryName(path)?.Replace('\\', '/') ?? "";
            if (parent.Length == 0 || after.ContainsKey(parent) && before.ContainsKey(parent) && before[parent].IsDirectory == after[parent].IsDirectory)
            {
                changes.Add(new LayerWhiteout(path));
                changed.UnionWith(Parents(path).Where(after.ContainsKey));
            }
        }
        // A directory that replaced a file (or was recreated) hides nothing below; its new children are all in `changed`.
        foreach (var path in changed.ToList())
        {
            changed.UnionWith(Parents(path).Where(after.ContainsKey));
        }
        var firstOfInode = new Dictionary<ulong, string>();
        foreach (var path in changed)
        {
            var full = Path.Combine(rootfs, path);
            var state = after[path];
            var entry = new LayerEntry(path, state.Type)
            {
                Mode = (UnixFileMode)(state.Mode & 0b111_111_111_111),
                UserId = state.Uid,
                GroupId = state.Gid,
                ModificationTime = DateTimeOffset.FromUnixTimeSeconds(state.MtimeNanoseconds / 1_000_000_000),
                ExtendedAttributes = LibC.ListXattrs(full),
            };
            changes.Add(state.Type switch
            {
                LayerEntryType.RegularFile when state.Links > 1 && firstOfInode.TryGetValue(state.Inode, out var first) => entry with { Type = LayerEntryType.Hardlink, LinkTarget = first },
                LayerEntryType.RegularFile => Remember(entry with { Size = state.Size, Content = LayerContent.FromFile(full) }, state, firstOfInode),
                LayerEntryType.Symlink => entry with { LinkTarget = state.LinkTarget },
                LayerEntryType.CharacterDevice or LayerEntryType.BlockDevice => entry with { DeviceMajor = state.DeviceMajor, DeviceMinor = state.DeviceMinor },
                _ => entry,
            });
        }
        return changes;
    }

    private static LayerEntry Remember(LayerEntry entry, EntryState state, Dictionary<ulong, string> firstOfInode)
    {
        if (state.Links > 1)
        {
            firstOfInode[state.Inode] = entry.Path;
        }
        return entry;
    }

    private static IEnumerable<string> Parents(string path)
    {
        for (var parent = Path.GetDirectoryName(path)?.Replace('\\', '/'); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent)?.Replace('\\', '/'))
        {
            yield return parent;
        }
    }

    /// <summary>Every entry below <paramref name="rootfs"/> with what the diff compares.</summary>
    public static Dictionary<string, EntryState> Record(string rootfs)
    {
        var states = new Dictionary<string, EntryState>(StringComparer.Ordinal);
        Walk(rootfs, "", states);
        return states;
    }

    private static void Walk(string rootfs, string relative, Dictionary<string, EntryState> states)
    {
        var directory = relative.Length == 0 ? rootfs : Path.Combine(rootfs, relative);
        foreach (var full in Directory.EnumerateFileSystemEntries(directory))
        {
            var path = relative.Length == 0 ? Path.GetFileName(full) : $"{relative}/{Path.GetFileName(full)}";
            if (LibC.LStat(full) is not { } status)
            {
                continue;
            }
            var type = (status.Mode & 0xF000) switch
            {
                0x4000 => LayerEntryType.Directory,
                0xA000 => LayerEntryType.Symlink,
                0x2000 => LayerEntryType.CharacterDevice,
                0x6000 => LayerEntryType.BlockDevice,
                0x1000 => LayerEntryType.Fifo,
                _ => LayerEntryType.RegularFile,
            };
            states[path] = new EntryState(type, status.Mode, status.Uid, status.Gid, type == LayerEntryType.Directory ? 0 : status.Size,
                type == LayerEntryType.Directory ? 0 : status.MtimeSeconds * 1_000_000_000 + status.MtimeNanoseconds, status.Inode, status.Links,
                type == LayerEntryType.Symlink ? LibC.ReadLink(full) : null, status.RdevMajor, status.RdevMinor);
            if (type == LayerEntryType.Directory)
            {
                Walk(rootfs, path, states);
            }
        }
    }

    private sealed class CopySnapshot(DirectorySnapshotMount mount, string directory, IReadOnlyDictionary<string, EntryState> before) : ISnapshot
    {
        public DirectorySnapshotMount Mount { get; } = mount;

        SnapshotMount ISnapshot.Mount => Mount;

        public IReadOnlyDictionary<string, EntryState> Before { get; } = before;

        public ValueTask DisposeAsync()
        {
            LayerCache.DeleteTree(directory);
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>What the copy snapshotter compares of an entry. Directory sizes and times are left out: adding a child changes them.</summary>
public sealed record EntryState(
    LayerEntryType Type, uint Mode, long Uid, long Gid, long Size, long MtimeNanoseconds, ulong Inode, uint Links, string? LinkTarget, uint DeviceMajor, uint DeviceMinor)
{
    public bool IsDirectory => Type == LayerEntryType.Directory;
}

/// <summary>Chooses the snapshotter: overlayfs where it can be mounted here, else the copy snapshotter (said once).</summary>
public static class Snapshotters
{
    /// <summary>
    /// The snapshotter for <paramref name="root"/>, stacking the layers <paramref name="layers"/> extracts. The choice
    /// (a test mount) is made when the first snapshot is prepared, so a build whose steps all come from the cache,
    /// and every verb that runs nothing, mounts nothing.
    /// </summary>
    public static ISnapshotter Create(string root, LayerCache layers, Action<string> log) => new DeferredSnapshotter(() =>
    {
        if (OverlayWorks(root))
        {
            return new OverlaySnapshotter(root, layers);
        }
        log("overlayfs is not available here; using the copy snapshotter (slower)");
        return new CopySnapshotter(root, layers.Lease);
    });

    private sealed class DeferredSnapshotter(Func<ISnapshotter> choose) : ISnapshotter
    {
        private readonly Lazy<ISnapshotter> _chosen = new(choose, LazyThreadSafetyMode.ExecutionAndPublication);

        public Task<ISnapshot> PrepareAsync(IReadOnlyList<ILayer> parents, CancellationToken cancellationToken) =>
            _chosen.Value.PrepareAsync(parents, cancellationToken);

        public Task<LayerDescriptor?> CommitDiffAsync(ISnapshot snapshot, IContentIngester store, LayerWriterOptions options, CancellationToken cancellationToken) =>
            _chosen.Value.CommitDiffAsync(snapshot, store, options, cancellationToken);
    }

    /// <summary>Mounts a tiny overlay (with userxattr in a user namespace) and unmounts it.</summary>
    public static bool OverlayWorks(string root)
    {
        if (Environment.GetEnvironmentVariable("BUILDER_SNAPSHOTTER") is { Length: > 0 } forced)
        {
            return forced == "overlay";
        }
        var probe = Path.Combine(root, "overlay-probe-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (var name in new[] { "lower", "upper", "work", "merged" })
            {
                Directory.CreateDirectory(Path.Combine(probe, name));
            }
            var options = $"lowerdir={probe}/lower,upperdir={probe}/upper,workdir={probe}/work" + (UserNamespace.IsNested ? ",userxattr" : "");
            using var mount = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mount", ["-t", "overlay", "overlay", "-o", options, $"{probe}/merged"])
                { RedirectStandardError = true, RedirectStandardOutput = true })!;
            mount.WaitForExit();
            if (mount.ExitCode != 0)
            {
                return false;
            }
            using var umount = System.Diagnostics.Process.Start("umount", $"{probe}/merged");
            umount.WaitForExit();
            return true;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
        finally
        {
            LayerCache.DeleteTree(probe);
        }
    }
}
