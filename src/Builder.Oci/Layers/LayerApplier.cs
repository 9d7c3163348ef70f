using System.IO.Enumeration;
using Builder.Posix;

namespace Builder.Oci.Layers;

/// <summary>
/// Extracts layers into a directory, one over the other: whiteouts and opaque directories hide lower
/// content, and nothing is ever written outside the target.
/// </summary>
/// <remarks>
/// Path rules (each refusal is an <see cref="UnsafeLayerEntryException"/> naming the entry):
/// <list type="bullet">
/// <item>A leading <c>/</c> is dropped, as GNU tar, docker and containerd do: <c>/etc/x</c> lands at
/// <c>TARGET/etc/x</c>. A name with a <c>..</c> component is refused outright, wherever it points.</item>
/// <item>Every parent directory is resolved one component at a time with lstat. A symlink on the way is followed
/// only if it is relative and stays inside the target (<c>lib -> usr/lib</c>); an absolute one, or one whose
/// <c>..</c> climbs above the target, is refused rather than reinterpreted.</item>
/// <item>The last component is never followed: an existing entry there is removed and replaced (a directory
/// over a directory is merged), files are created with O_EXCL|O_NOFOLLOW, metadata set with the l* calls.</item>
/// <item>A hardlink's target is resolved by the same rules and must be an existing non-directory inside the target.</item>
/// <item>A whiteout of <c>.</c>, <c>..</c> or nothing is refused; whiteouts and opaque markers behind an escaping
/// symlink are refused like any other entry.</item>
/// </list>
/// The checks and the writes both happen in this process, one entry at a time, so our own entries cannot race
/// them; other processes must not change the target while a layer is applied. A refused entry stops the layer:
/// earlier entries stay applied and the caller discards the directory.
/// </remarks>
public static class LayerApplier
{
    /// <summary>Applies one uncompressed layer tar (see <see cref="LayerDecompression"/>) over <paramref name="targetDirectory"/>.</summary>
    public static async Task<LayerApplyResult> ApplyAsync(Stream layer, string targetDirectory, LayerApplyOptions? options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(targetDirectory));
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"{targetDirectory} is not a directory");
        }
        var session = new LayerApplySession(root, options ?? new LayerApplyOptions());
        var reader = new TarEntryReader(layer);
        long entries = 0;
        while (await reader.NextAsync(cancellationToken).ConfigureAwait(false) is { } header)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await session.ApplyAsync(header, reader, cancellationToken).ConfigureAwait(false);
            entries++;
        }
        session.Finish();
        return new LayerApplyResult(entries, session.Warnings);
    }
}

internal sealed class LayerApplySession(string root, LayerApplyOptions options)
{
    private const int MaxSymlinkHops = 40;

    private readonly bool _privileged = LibC.IsRoot;
    private readonly HashSet<string> _unpacked = new(StringComparer.Ordinal);
    // Parent paths this session found to be real directories, so a layer's thousands of entries in one directory do
    // not lstat its every parent again; forgotten whenever anything is removed, the only way one can stop being one.
    private readonly HashSet<string> _realDirectories = new(StringComparer.Ordinal);
    // Directories this session made (the target itself when it was empty): anything in one is in _unpacked, so a
    // name not there is known to be free without an lstat, the one call per entry a fresh extraction would add.
    private readonly HashSet<string> _madeDirectories = IsEmpty(root) ? new(StringComparer.Ordinal) { "" } : new(StringComparer.Ordinal);
    private readonly List<(string Path, uint Mode, long Seconds, long Nanoseconds)> _directories = [];
    private readonly List<(string Path, uint Mode)> _madeWritable = [];
    private readonly List<LayerApplyWarning> _warnings = [];

    public IReadOnlyList<LayerApplyWarning> Warnings => _warnings;

    public async ValueTask ApplyAsync(TarEntryHeader header, TarEntryReader reader, CancellationToken cancellationToken)
    {
        try
        {
            await ApplyEntryAsync(header, reader, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e) when (e is not UnsafeLayerEntryException && !e.Message.StartsWith("layer entry", StringComparison.Ordinal))
        {
            throw new IOException($"layer entry \"{header.Name}\": {e.Message}", e);
        }
    }

    /// <summary>Directory modes and times last: adding children changes a directory's mtime, and a read-only mode would stop them.</summary>
    public void Finish()
    {
        if (options.Unchanged is not null)
        {
            // A recycled target: what the earlier version had and this one does not name goes.
            RemoveUnnamed(string.Empty);
        }
        for (var i = _madeWritable.Count - 1; i >= 0; i--)
        {
            if (IsStillDirectory(_madeWritable[i].Path))
            {
                LibC.Chmod(Full(_madeWritable[i].Path), _madeWritable[i].Mode);
            }
        }
        for (var i = _directories.Count - 1; i >= 0; i--)
        {
            var (path, mode, seconds, nanoseconds) = _directories[i];
            if (IsStillDirectory(path))
            {
                LibC.Chmod(Full(path), mode);
                LibC.SetTimes(Full(path), seconds, nanoseconds);
            }
        }
    }

    /// <summary>
    /// Whether every component of a path recorded earlier is still a real directory: a later entry of the layer
    /// may have replaced it (or a parent) with a symlink, and chmod follows symlinks.
    /// </summary>
    private bool IsStillDirectory(string relative)
    {
        if (LibC.LStat(root) is not { IsDirectory: true } && !Directory.Exists(root))
        {
            return false;
        }
        var prefix = string.Empty;
        foreach (var component in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            prefix = LayerPaths.Join(prefix, component);
            if (LibC.LStat(Full(prefix)) is not { IsDirectory: true })
            {
                return false;
            }
        }
        return true;
    }

    private async ValueTask ApplyEntryAsync(TarEntryHeader header, TarEntryReader reader, CancellationToken cancellationToken)
    {
        var components = SplitName(header.Name, header.Name, "name");
        if (components.Count == 0)
        {
            if (header.Type != TarFormat.TypeDirectory)
            {
                throw new UnsafeLayerEntryException(header.Name, "it names the target directory itself but is not a directory");
            }
            ApplyDirectory(header, string.Empty, exists: true);
            return;
        }
        var name = components[^1];
        components.RemoveAt(components.Count - 1);

        if (name == TarFormat.OpaqueMarker)
        {
            if (options.OverlayOpaqueXattr is { } opaqueXattr)
            {
                var marked = ResolveDirectory(header.Name, components, create: true)!;
                var errno = LibC.TrySetXattr(Full(marked), opaqueXattr, "y"u8.ToArray());
                if (errno != 0)
                {
                    throw LibC.Error(errno, "setxattr " + opaqueXattr, Full(marked));
                }
            }
            else if (ResolveDirectory(header.Name, components, create: false) is { } opaque)
            {
                RemoveUnnamed(opaque);
            }
            return;
        }
        if (name.StartsWith(TarFormat.WhiteoutMetaPrefix, StringComparison.Ordinal))
        {
            _warnings.Add(new LayerApplyWarning(header.Name, "AUFS metadata entry skipped"));
            return;
        }
        if (name.StartsWith(TarFormat.WhiteoutPrefix, StringComparison.Ordinal))
        {
            var victim = name[TarFormat.WhiteoutPrefix.Length..];
            if (victim is "" or "." or "..")
            {
                throw new UnsafeLayerEntryException(header.Name, $"a whiteout of \"{victim}\" does not name an entry of its directory");
            }
            if (options.OverlayOpaqueXattr is not null)
            {
                // Overlay form: the whiteout stays, as the 0/0 character device overlayfs reads as "deleted".
                var whiteout = LayerPaths.Join(ResolveDirectory(header.Name, components, create: true)!, victim);
                var whiteoutPath = Full(whiteout);
                var there = LibC.LStat(whiteoutPath);
                if (there is { } before && options.Unchanged is not null && !_unpacked.Contains(whiteout) && !before.IsOverlayWhiteout)
                {
                    RemoveAll(whiteout); // a recycled target's earlier entry, now deleted by this layer
                    there = null;
                }
                if (there is null)
                {
                    var errno = LibC.TryMakeNode(whiteoutPath, LibC.S_IFCHR, 0, 0);
                    if (errno != 0)
                    {
                        throw LibC.Error(errno, "mknod (whiteout)", whiteoutPath);
                    }
                }
                _unpacked.Add(whiteout);
                return;
            }
            if (ResolveDirectory(header.Name, components, create: false) is { } directory)
            {
                var path = LayerPaths.Join(directory, victim);
                // Whiteouts hide lower layers only; what this layer added stays (OCI image spec, whiteouts).
                if (!_unpacked.Contains(path) && LibC.LStat(Full(path)) is not null)
                {
                    RemoveAll(path);
                }
            }
            return;
        }

        // A hardlink's target is checked before anything at the new path changes.
        string? linkTarget = null;
        if (header.Type == TarFormat.TypeHardlink)
        {
            linkTarget = ResolveHardlinkTarget(header);
        }

        var parent = ResolveDirectory(header.Name, components, create: true)!;
        var relative = LayerPaths.Join(parent, name);
        var full = Full(relative);
        var existing = _madeDirectories.Contains(parent) && !_unpacked.Contains(relative) ? null : LibC.LStat(full);
        var kept = existing is { IsRegular: true } earlier && header.Type is TarFormat.TypeRegular or TarFormat.TypeRegularOld or TarFormat.TypeContiguous
            && !_unpacked.Contains(relative) && options.Unchanged?.Invoke(header) == true
            && earlier.Size == header.Size && earlier.Permissions == (header.Mode & 0xFFF) && earlier.MtimeSeconds == header.MtimeSeconds;
        if (existing is not null && !kept && !(existing.Value.IsDirectory && header.Type == TarFormat.TypeDirectory))
        {
            if (relative == linkTarget)
            {
                throw new IOException($"layer entry \"{header.Name}\": a hardlink to itself");
            }
            RemoveAll(relative);
        }

        switch (header.Type)
        {
            case TarFormat.TypeRegular or TarFormat.TypeRegularOld or TarFormat.TypeContiguous:
                if (kept)
                {
                    break; // a recycled target's file, as the header says: the data is skipped
                }
                if (options.SameFile?.Invoke(header, relative) is { } same && TryLink(same, full))
                {
                    break; // same inode, same metadata: the data is skipped
                }
                await WriteFileAsync(full, reader, cancellationToken).ConfigureAwait(false);
                SetMetadata(header, full, chmod: true);
                break;
            case TarFormat.TypeDirectory:
                ApplyDirectory(header, relative, exists: existing is { IsDirectory: true }); // anything else was removed above
                break;
            case TarFormat.TypeSymlink:
                LibC.Symlink(header.LinkName, full);
                SetMetadata(header, full, chmod: false);
                break;
            case TarFormat.TypeHardlink:
                // A hardlink shares its target's inode and metadata; the header's copy of them is not applied.
                LibC.HardLink(Full(linkTarget!), full);
                break;
            case TarFormat.TypeChar or TarFormat.TypeBlock:
                var kind = header.Type == TarFormat.TypeChar ? "character" : "block";
                var errno = LibC.TryMakeNode(full, (header.Type == TarFormat.TypeChar ? LibC.S_IFCHR : LibC.S_IFBLK) | 0x180,
                    header.DeviceMajor, header.DeviceMinor);
                if (errno == LibC.EPERM && options.SkipDevicesWhenNotPermitted)
                {
                    _warnings.Add(new LayerApplyWarning(header.Name,
                        $"{kind} device ({header.DeviceMajor},{header.DeviceMinor}) not created: mknod is not permitted here (needs CAP_MKNOD outside a user namespace)"));
                    return;
                }
                if (errno != 0)
                {
                    throw new IOException(
                        $"layer entry \"{header.Name}\": cannot create {kind} device ({header.DeviceMajor},{header.DeviceMinor}): "
                        + LibC.Error(errno, "mknod", full).Message
                        + (errno == LibC.EPERM ? " (needs CAP_MKNOD; set SkipDevicesWhenNotPermitted to skip devices)" : string.Empty));
                }
                SetMetadata(header, full, chmod: true);
                break;
            case TarFormat.TypeFifo:
                var fifo = LibC.TryMakeNode(full, LibC.S_IFIFO | 0x180, 0, 0);
                if (fifo != 0)
                {
                    throw LibC.Error(fifo, "create fifo", full);
                }
                SetMetadata(header, full, chmod: true);
                break;
            default:
                throw new InvalidDataException($"layer entry \"{header.Name}\" has tar type '{(char)header.Type}', which a layer cannot hold");
        }
        _unpacked.Add(relative);
    }

    private void ApplyDirectory(TarEntryHeader header, string relative, bool exists)
    {
        var full = Full(relative);
        if (!exists)
        {
            LibC.MakeDirectory(full, 0x1C0);
            _madeDirectories.Add(relative);
        }
        else if (options.Unchanged is not null && options.OverlayOpaqueXattr is { } opaque)
        {
            // A recycled target's directory is opaque only if this layer says so again (its marker follows the directory).
            LibC.RemoveXattr(full, opaque);
        }
        SetOwner(header, full);
        SetXattrs(header, full);
        _directories.Add((relative, header.Mode, header.MtimeSeconds, header.MtimeNanoseconds));
        if (relative.Length > 0)
        {
            _unpacked.Add(relative);
        }
    }

    // A failed link (the inode's link limit, say) only means the data is written after all.
    private static bool TryLink(string existing, string full)
    {
        try
        {
            LibC.HardLink(existing, full);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async ValueTask WriteFileAsync(string full, TarEntryReader reader, CancellationToken cancellationToken)
    {
        using var handle = LibC.CreateExclusive(full);
        long offset = 0;
        while (true)
        {
            var data = await reader.ReadDataAsync(cancellationToken).ConfigureAwait(false);
            if (data.IsEmpty)
            {
                break;
            }
            RandomAccess.Write(handle, data.Span, offset);
            offset += data.Length;
        }
    }

    /// <summary>chown before chmod (chown clears setuid/setgid), xattrs after both (chown clears security.capability), times last.</summary>
    private void SetMetadata(TarEntryHeader header, string full, bool chmod)
    {
        SetOwner(header, full);
        if (chmod)
        {
            LibC.Chmod(full, header.Mode);
        }
        SetXattrs(header, full);
        LibC.SetTimes(full, header.MtimeSeconds, header.MtimeNanoseconds);
    }

    private void SetOwner(TarEntryHeader header, string full)
    {
        var tarOwner = new LayerOwner(header.Uid, header.Gid);
        LayerOwner? owner = options.MapOwner is { } map ? map(tarOwner) : _privileged ? tarOwner : null;
        if (owner is { } o)
        {
            LibC.LChown(full, o.UserId, o.GroupId);
        }
    }

    private void SetXattrs(TarEntryHeader header, string full)
    {
        foreach (var (name, value) in header.Xattrs)
        {
            var errno = LibC.TrySetXattr(full, name, value);
            // As docker: a file system or privilege that refuses an attribute is reported, not fatal.
            if (errno is LibC.EPERM or LibC.EOPNOTSUPP)
            {
                _warnings.Add(new LayerApplyWarning(header.Name, $"extended attribute {name} not set: {LibC.Error(errno, "set", name).Message}"));
            }
            else if (errno != 0)
            {
                throw LibC.Error(errno, $"set extended attribute {name} on", full);
            }
        }
    }

    private string ResolveHardlinkTarget(TarEntryHeader header)
    {
        var components = SplitName(header.Name, header.LinkName, "hardlink target");
        if (components.Count == 0)
        {
            throw new UnsafeLayerEntryException(header.Name, "a hardlink to the target directory itself");
        }
        var name = components[^1];
        components.RemoveAt(components.Count - 1);
        var directory = ResolveDirectory(header.Name, components, create: false)
            ?? throw new IOException($"layer entry \"{header.Name}\": hardlink target {header.LinkName} does not exist");
        var target = LayerPaths.Join(directory, name);
        return LibC.LStat(Full(target)) switch
        {
            null => throw new IOException($"layer entry \"{header.Name}\": hardlink target {header.LinkName} does not exist"),
            { IsDirectory: true } => throw new UnsafeLayerEntryException(header.Name, $"hardlink target {header.LinkName} is a directory"),
            _ => target,
        };
    }

    /// <summary>A tar name's components: leading slashes, empty and "." components dropped; ".." refused.</summary>
    private static List<string> SplitName(string entryName, string name, string what)
    {
        if (name.Contains('\0'))
        {
            throw new UnsafeLayerEntryException(entryName, $"its {what} contains a NUL character");
        }
        var components = new List<string>();
        foreach (var component in name.Split('/'))
        {
            if (component is "" or ".")
            {
                continue;
            }
            if (component == "..")
            {
                throw new UnsafeLayerEntryException(entryName, $"its {what} \"{name}\" has a \"..\" component");
            }
            components.Add(component);
        }
        return components;
    }

    /// <summary>
    /// The target-relative path of a directory, each component checked with lstat: real directories are entered,
    /// relative symlinks followed while they stay inside, anything else refused. With <paramref name="create"/>,
    /// missing directories are made (0755, as docker does); without, a missing one gives null.
    /// </summary>
    private string? ResolveDirectory(string entryName, List<string> components, bool create)
    {
        // The usual case, an entry in a directory an earlier one resolved: no walk, no lists.
        var whole = string.Join('/', components);
        if (whole.Length == 0 || _realDirectories.Contains(whole))
        {
            return whole;
        }
        var resolved = new List<string>();
        var pending = new Stack<string>(Enumerable.Reverse(components));
        var hops = 0;
        string? via = null;
        while (pending.Count > 0)
        {
            var component = pending.Pop();
            if (component is "" or ".")
            {
                continue;
            }
            if (component == "..")
            {
                if (resolved.Count == 0)
                {
                    throw new UnsafeLayerEntryException(entryName, $"its path goes through symlink {via}, which points outside the target");
                }
                resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            resolved.Add(component);
            var relative = string.Join('/', resolved);
            if (_realDirectories.Contains(relative))
            {
                continue;
            }
            var full = Full(relative);
            var status = LibC.LStat(full);
            if (status is { IsDirectory: false } && create && options.Unchanged is not null && !_unpacked.Contains(relative))
            {
                // A recycled target's earlier entry that this layer has not named: never followed or refused, but gone,
                // and a directory made in its place, as in an extraction into an empty directory.
                RemoveAll(relative);
                status = null;
            }
            if (status is null)
            {
                if (!create)
                {
                    return null;
                }
                LibC.MakeDirectory(full, 0x1ED);
                LibC.Chmod(full, 0x1ED);
                _unpacked.Add(relative);
                _realDirectories.Add(relative);
                _madeDirectories.Add(relative);
                continue;
            }
            if (status.Value.IsDirectory)
            {
                if (create && !_privileged && (status.Value.Permissions & 0x1C0) != 0x1C0)
                {
                    // Not root: a read-only lower directory still has to take this layer's entries.
                    _madeWritable.Add((relative, status.Value.Permissions));
                    LibC.Chmod(full, status.Value.Permissions | 0x1C0);
                }
                else if (!create && !_privileged && (status.Value.Permissions & 0x1C0) != 0x1C0)
                {
                    continue; // not remembered: a later entry creating below it must still make it writable
                }
                _realDirectories.Add(relative);
                continue;
            }
            if (!status.Value.IsSymlink)
            {
                throw new IOException($"layer entry \"{entryName}\": {relative} is not a directory");
            }
            if (++hops > MaxSymlinkHops)
            {
                throw new UnsafeLayerEntryException(entryName, $"its path goes through more than {MaxSymlinkHops} symlinks (a loop?)");
            }
            var target = LibC.ReadLink(full);
            via = $"{relative} -> {target}";
            if (target.StartsWith('/'))
            {
                throw new UnsafeLayerEntryException(entryName,
                    $"its path goes through symlink {via}, which points outside the target (absolute symlinks are not followed while extracting)");
            }
            resolved.RemoveAt(resolved.Count - 1);
            foreach (var part in target.Split('/').Reverse())
            {
                pending.Push(part);
            }
        }
        return string.Join('/', resolved);
    }

    /// <summary>
    /// Removes what this layer did not name below <paramref name="directory"/>, descending into the real directories it
    /// did: what lower layers put in an opaque directory, or what a recycled target's earlier version had.
    /// </summary>
    private void RemoveUnnamed(string directory)
    {
        foreach (var (name, realDirectory) in Children(Full(directory)))
        {
            var child = LayerPaths.Join(directory, name);
            if (!_unpacked.Contains(child))
            {
                RemoveAll(child);
            }
            else if (realDirectory)
            {
                RemoveUnnamed(child);
            }
        }
    }

    /// <summary>Removes an entry and, for a real directory, everything below it; symlinks are removed, never followed.</summary>
    private void RemoveAll(string relative)
    {
        _realDirectories.Clear();
        _madeDirectories.Clear();
        var full = Full(relative);
        switch (LibC.LStat(full))
        {
            case null:
                return;
            case { IsDirectory: true }:
                foreach (var (name, _) in Children(full))
                {
                    RemoveAll(LayerPaths.Join(relative, name));
                }
                LibC.RemoveDirectory(full);
                break;
            default:
                LibC.Unlink(full);
                break;
        }
        _unpacked.Remove(relative);
    }

    // A directory's entries with whether each is a real directory, from d_type (a symlink to one is not), no lstat.
    private static List<(string Name, bool RealDirectory)> Children(string directory) =>
        new FileSystemEnumerable<(string, bool)>(directory,
            (ref FileSystemEntry e) => (e.FileName.ToString(), e.IsDirectory && (e.Attributes & FileAttributes.ReparsePoint) == 0),
            new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false }).ToList();

    private static bool IsEmpty(string directory) => !Directory.EnumerateFileSystemEntries(directory).Any();

    private string Full(string relative) => relative.Length == 0 ? root : root + "/" + relative;
}
