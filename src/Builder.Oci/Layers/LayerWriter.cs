using System.Buffers;
using System.IO.Enumeration;
using Builder.Posix;

namespace Builder.Oci.Layers;

/// <summary>
/// Writes OCI layers: a directory tree or a change set becomes a tar (pax format, deterministic order and
/// headers), compressed and hashed in one pass straight into the caller's stream.
/// </summary>
/// <remarks>
/// Headers are ustar with a pax extended header only when a field needs one (as Go's archive/tar): names over
/// 100 bytes that cannot be split, non-ASCII names, big ids, xattrs. Times are whole seconds; no atime, ctime,
/// uname or gname. How compression was chosen, with the numbers: <see cref="LayerOutput"/>.
/// </remarks>
public static class LayerWriter
{
    /// <summary>Writes every entry below <paramref name="directory"/> (not the directory itself) as one layer.</summary>
    public static async Task<LayerDescriptor> WriteDirectoryAsync(string directory, Stream destination, LayerWriterOptions? options,
        CancellationToken cancellationToken)
    {
        options ??= new LayerWriterOptions();
        var entries = ScanDirectory(directory, options, cancellationToken);
        return await WriteAsync(entries, destination, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a change set as one layer blob into <paramref name="store"/>, committed under the digest computed while writing.</summary>
    public static Task<LayerDescriptor> WriteToStoreAsync(Content.IContentIngester store, IEnumerable<LayerChange> changes, LayerWriterOptions? options,
        CancellationToken cancellationToken) =>
        WriteToStoreAsync(store, changes, options, null, cancellationToken);

    /// <summary>As <see cref="WriteToStoreAsync(Content.IContentIngester, IEnumerable{LayerChange}, LayerWriterOptions?, CancellationToken)"/>, with <paramref name="reuse"/> (see <see cref="LayerReuse"/>).</summary>
    public static Task<LayerDescriptor> WriteToStoreAsync(Content.IContentIngester store, IEnumerable<LayerChange> changes, LayerWriterOptions? options,
        LayerReuse? reuse, CancellationToken cancellationToken) =>
        WriteToStoreAsync(store, changes, options, reuse, null, cancellationToken);

    /// <summary>
    /// As <see cref="WriteToStoreAsync(Content.IContentIngester, IEnumerable{LayerChange}, LayerWriterOptions?, LayerReuse?, CancellationToken)"/>,
    /// the tar's bytes also written to <paramref name="tee"/> as they go (an extraction reading them, say). A plain
    /// layer is hashed once, by the store as it takes the bytes: its digest is its diffID.
    /// </summary>
    public static async Task<LayerDescriptor> WriteToStoreAsync(Content.IContentIngester store, IEnumerable<LayerChange> changes, LayerWriterOptions? options,
        LayerReuse? reuse, Stream? tee, CancellationToken cancellationToken)
    {
        options ??= new LayerWriterOptions();
        await using var writer = await Content.ContentStoreExtensions.OpenWriterAsync(store, cancellationToken).ConfigureAwait(false);
        var destination = tee is null ? writer.Stream : new TeeWriteStream(writer.Stream, tee);
        var plain = options.Compression == LayerCompression.None;
        var layer = await WriteAsync(changes, destination, options, reuse, hashed: !plain, cancellationToken).ConfigureAwait(false);
        var committed = await writer.CommitAsync(layer.Compressed.MediaType, plain ? null : layer.Compressed.Digest, layer.Compressed.Size, cancellationToken)
            .ConfigureAwait(false);
        return plain ? layer with { Compressed = committed, DiffId = committed.Digest } : layer;
    }

    /// <summary>
    /// Writes a change set as one layer. Entries are sorted (parents before children, whiteouts before their
    /// siblings), so the order given does not matter; a hardlink must name an entry that sorts before it or one
    /// outside the change set (a lower layer's file).
    /// </summary>
    public static Task<LayerDescriptor> WriteAsync(IEnumerable<LayerChange> changes, Stream destination, LayerWriterOptions? options,
        CancellationToken cancellationToken) =>
        WriteAsync(changes, destination, options, null, cancellationToken);

    /// <summary>
    /// Writes a change set as one layer, taking unchanged files' bytes from the previous layer of the same step and
    /// recording the new tar's index (<paramref name="reuse"/>; see <see cref="LayerReuse"/>). The bytes are the ones
    /// the write without it gives.
    /// </summary>
    public static Task<LayerDescriptor> WriteAsync(IEnumerable<LayerChange> changes, Stream destination, LayerWriterOptions? options,
        LayerReuse? reuse, CancellationToken cancellationToken) =>
        WriteAsync(changes, destination, options, reuse, hashed: true, cancellationToken);

    // Unhashed (a plain layer whose destination digests it), the descriptor's digest and diffID are not yet known.
    private static async Task<LayerDescriptor> WriteAsync(IEnumerable<LayerChange> changes, Stream destination, LayerWriterOptions? options,
        LayerReuse? reuse, bool hashed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(destination);
        options ??= new LayerWriterOptions();
        var plan = Plan(changes);
        var output = new LayerOutput(destination, options.Compression, options.CompressionLevel, options.MaxDegreeOfParallelism, hashed);
        await using (output.ConfigureAwait(false))
        {
            var tar = new LayerTarWriter(output, options.SourceDateEpoch, reuse);
            foreach (var (name, change) in plan)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await tar.WriteAsync(name, change, cancellationToken).ConfigureAwait(false);
            }
            await output.WriteZerosAsync(2 * TarFormat.BlockSize, cancellationToken).ConfigureAwait(false);
            return await output.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The entries of a directory tree in layer order, read with lstat (symlinks are entries, never followed).
    /// Files sharing an inode become one regular file and hardlinks to it; sockets are skipped, as tar does.
    /// </summary>
    public static IReadOnlyList<LayerEntry> ScanDirectory(string directory, LayerWriterOptions? options, CancellationToken cancellationToken)
    {
        options ??= new LayerWriterOptions();
        var root = Path.GetFullPath(directory);
        // The root itself may be reached through a symlink (the caller chose it); entries below never are.
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"{directory} is not a directory");
        }
        var found = new List<(byte[] Key, LayerEntry Entry, FileStatus Status)>();
        Scan(root, string.Empty, options, found, cancellationToken);
        found.Sort((x, y) => LayerPathComparer.Instance.Compare(x.Key, y.Key));

        var firstByInode = new Dictionary<(uint, uint, ulong), string>();
        var entries = new List<LayerEntry>(found.Count);
        foreach (var (_, entry, status) in found)
        {
            if (status.Links > 1 && !status.IsDirectory)
            {
                var inode = (status.DeviceMajor, status.DeviceMinor, status.Inode);
                if (firstByInode.TryGetValue(inode, out var first))
                {
                    entries.Add(entry with { Type = LayerEntryType.Hardlink, LinkTarget = first, Size = 0, Content = null });
                    continue;
                }
                firstByInode[inode] = entry.Path;
            }
            entries.Add(entry);
        }
        return entries;
    }

    private static void Scan(string directory, string prefix, LayerWriterOptions options,
        List<(byte[] Key, LayerEntry Entry, FileStatus Status)> found, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var names = new FileSystemEnumerable<string>(directory, (ref FileSystemEntry e) => e.FileName.ToString(),
            new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false });
        foreach (var name in names)
        {
            var path = Path.Join(directory, name);
            var relative = LayerPaths.Join(prefix, name);
            if (LibC.LStat(path) is not { } status)
            {
                // .NET decodes names as UTF-8; a name that is not cannot be opened again, and must not vanish silently.
                if (name.Contains('\uFFFD'))
                {
                    throw new IOException($"cannot archive a file in {directory}: its name is not valid UTF-8 ({name})");
                }
                // Gone between listing and stat: it is not part of the tree any more.
                continue;
            }
            var type = status.Type switch
            {
                LibC.S_IFREG => LayerEntryType.RegularFile,
                LibC.S_IFDIR => LayerEntryType.Directory,
                LibC.S_IFLNK => LayerEntryType.Symlink,
                LibC.S_IFCHR => LayerEntryType.CharacterDevice,
                LibC.S_IFBLK => LayerEntryType.BlockDevice,
                LibC.S_IFIFO => LayerEntryType.Fifo,
                _ => (LayerEntryType?)null,
            };
            if (type is null)
            {
                continue;
            }
            var xattrs = LibC.ListXattrs(path);
            foreach (var excluded in xattrs.Keys.Where(k => !options.IncludeXattr(k)).ToList())
            {
                xattrs.Remove(excluded);
            }
            var entry = new LayerEntry(relative, type.Value)
            {
                Mode = (UnixFileMode)status.Permissions,
                UserId = status.Uid,
                GroupId = status.Gid,
                ModificationTime = DateTimeOffset.FromUnixTimeSeconds(status.MtimeSeconds).AddTicks(status.MtimeNanoseconds / 100),
                Size = type == LayerEntryType.RegularFile ? status.Size : 0,
                Content = type == LayerEntryType.RegularFile
                    ? new FileLayerContent(path, new FileIdentity(status.DeviceMajor, status.DeviceMinor, status.Inode))
                    : null,
                LinkTarget = type == LayerEntryType.Symlink ? LibC.ReadLink(path) : null,
                DeviceMajor = type is LayerEntryType.CharacterDevice or LayerEntryType.BlockDevice ? status.RdevMajor : 0,
                DeviceMinor = type is LayerEntryType.CharacterDevice or LayerEntryType.BlockDevice ? status.RdevMinor : 0,
                ExtendedAttributes = xattrs,
            };
            found.Add((LayerPathComparer.Key(relative), entry, status));
            if (type == LayerEntryType.Directory)
            {
                Scan(path, relative, options, found, cancellationToken);
            }
        }
    }

    private static bool IsSorted(List<(byte[] Key, string Name, LayerChange Change)> planned)
    {
        for (var i = 1; i < planned.Count; i++)
        {
            if (LayerPathComparer.Instance.Compare(planned[i - 1].Key, planned[i].Key) > 0)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Tar names for every change, validated and in layer order.</summary>
    private static List<(string Name, LayerChange Change)> Plan(IEnumerable<LayerChange> changes)
    {
        var planned = new List<(byte[] Key, string Name, LayerChange Change)>();
        foreach (var change in changes)
        {
            ArgumentNullException.ThrowIfNull(change);
            var path = LayerPaths.NormalizeForWriting(change.Path);
            if (path.Contains(TarFormat.WhiteoutPrefix, StringComparison.Ordinal)
                && path.Split('/').FirstOrDefault(c => c.StartsWith(TarFormat.WhiteoutPrefix, StringComparison.Ordinal)) is { } reserved)
            {
                throw new ArgumentException(
                    $"cannot write \"{change.Path}\" to a layer: a name starting with \"{TarFormat.WhiteoutPrefix}\" ({reserved}) would be read as a whiteout");
            }
            var name = change switch
            {
                LayerWhiteout => LayerPaths.Join(LayerPaths.Parent(path), TarFormat.WhiteoutPrefix + LayerPaths.Name(path)),
                LayerOpaqueDirectory => path + "/" + TarFormat.OpaqueMarker,
                LayerEntry => path,
                _ => throw new ArgumentException($"unknown layer change {change.GetType().Name}"),
            };
            planned.Add((LayerPathComparer.Key(name), name, change));
        }
        // A COPY's walk gives its entries in layer order already: checking is one comparison per entry, sorting ~16.
        if (!IsSorted(planned))
        {
            planned.Sort((x, y) => LayerPathComparer.Instance.Compare(x.Key, y.Key));
        }

        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < planned.Count; i++)
        {
            if (!positions.TryAdd(planned[i].Name, i))
            {
                throw new ArgumentException($"the change set has \"{planned[i].Name}\" twice");
            }
        }
        foreach (var (_, name, change) in planned)
        {
            if (change is LayerEntry { Type: LayerEntryType.Hardlink } link)
            {
                var target = LayerPaths.NormalizeForWriting(link.LinkTarget ?? throw new ArgumentException($"hardlink {name} has no target"));
                if (positions.TryGetValue(target, out var at) && at > positions[name])
                {
                    throw new ArgumentException($"hardlink {name} links to {target}, which is written after it; make {target} the link instead");
                }
            }
        }
        return planned.Select(p => (p.Name, p.Change)).ToList();
    }
}

/// <summary>Turns changes into tar headers and content in a <see cref="LayerOutput"/>.</summary>
internal sealed class LayerTarWriter(LayerOutput output, DateTimeOffset? sourceDateEpoch, LayerReuse? reuse = null)
{
    private readonly ArrayBufferWriter<byte> _header = new(4096);
    private readonly byte[] _probe = new byte[1];
    private readonly long? _clamp = sourceDateEpoch?.ToUnixTimeSeconds();

    public async ValueTask WriteAsync(string name, LayerChange change, CancellationToken cancellationToken)
    {
        if (change is not LayerEntry entry)
        {
            // Whiteouts and opaque markers: empty regular files whose only meaning is their name.
            await WriteHeaderAsync(new TarHeader(name, TarFormat.TypeRegular) { MtimeSeconds = Clamp(0) }, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (entry.Type != LayerEntryType.RegularFile && (entry.Size != 0 || entry.Content is not null))
        {
            throw new ArgumentException($"{name}: only regular files have content");
        }
        if (entry.Size < 0)
        {
            throw new ArgumentException($"{name}: negative size {entry.Size}");
        }
        var (type, linkName) = entry.Type switch
        {
            LayerEntryType.RegularFile => (TarFormat.TypeRegular, null),
            LayerEntryType.Directory => (TarFormat.TypeDirectory, null),
            LayerEntryType.Symlink => (TarFormat.TypeSymlink,
                string.IsNullOrEmpty(entry.LinkTarget) ? throw new ArgumentException($"symlink {name} has no target") : entry.LinkTarget),
            LayerEntryType.Hardlink => (TarFormat.TypeHardlink, LayerPaths.NormalizeForWriting(entry.LinkTarget!)),
            LayerEntryType.CharacterDevice => (TarFormat.TypeChar, null),
            LayerEntryType.BlockDevice => (TarFormat.TypeBlock, null),
            LayerEntryType.Fifo => (TarFormat.TypeFifo, null),
            _ => throw new ArgumentException($"{name}: unknown entry type {entry.Type}"),
        };
        if (linkName is not null && linkName.Contains('\0'))
        {
            throw new ArgumentException($"{name}: link target contains a NUL character");
        }
        var offset = output.Position;
        _header.ResetWrittenCount();
        TarHeaderWriter.Write(new TarHeader(entry.Type == LayerEntryType.Directory ? name + "/" : name, type)
        {
            Mode = (uint)entry.Mode & 0xFFF,
            Uid = entry.UserId,
            Gid = entry.GroupId,
            Size = entry.Size,
            MtimeSeconds = Clamp(entry.ModificationTime.ToUnixTimeSeconds()),
            LinkName = linkName,
            DeviceMajor = entry.DeviceMajor,
            DeviceMinor = entry.DeviceMinor,
            Xattrs = entry.ExtendedAttributes,
        }, _header);
        // Only files with content are worth taking from the previous tar; the rest is its header alone.
        var sha256 = entry.Type == LayerEntryType.RegularFile && entry.Size > 0 ? reuse?.ContentDigest(entry.Content) : null;
        var previous = sha256 is not null ? reuse!.TryTake(reuse.Record(name, offset, _header.WrittenSpan, entry.Size, sha256)) : null;
        await output.WriteAsync(_header.WrittenMemory, cancellationToken).ConfigureAwait(false);
        if (previous is not null)
        {
            await CopyFileAsync(name, entry.Size, (FileLayerContent)entry.Content!, previous, cancellationToken).ConfigureAwait(false);
            await output.WriteZerosAsync(TarFormat.Padding(entry.Size), cancellationToken).ConfigureAwait(false);
        }
        else if (entry.Type == LayerEntryType.RegularFile)
        {
            await WriteContentAsync(name, entry, cancellationToken).ConfigureAwait(false);
            await output.WriteZerosAsync(TarFormat.Padding(entry.Size), cancellationToken).ConfigureAwait(false);
        }
    }

    private long Clamp(long seconds) => _clamp is { } clamp && seconds > clamp ? clamp : seconds;

    private async ValueTask WriteHeaderAsync(TarHeader header, CancellationToken cancellationToken)
    {
        _header.ResetWrittenCount();
        TarHeaderWriter.Write(header, _header);
        await output.WriteAsync(_header.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask WriteContentAsync(string name, LayerEntry entry, CancellationToken cancellationToken)
    {
        switch (entry.Content)
        {
            case null when entry.Size == 0:
                return;
            case null:
                throw new ArgumentException($"{name}: size {entry.Size} but no content");
            case BytesLayerContent bytes:
                if (bytes.Bytes.Length != entry.Size)
                {
                    throw new ArgumentException($"{name}: size {entry.Size} but {bytes.Bytes.Length} bytes of content");
                }
                await output.WriteAsync(bytes.Bytes, cancellationToken).ConfigureAwait(false);
                return;
            case FileLayerContent file:
                await CopyFileAsync(name, entry.Size, file, null, cancellationToken).ConfigureAwait(false);
                return;
            case StreamLayerContent stream:
                var source = stream.Open();
                await using (source.ConfigureAwait(false))
                {
                    await CopyStreamAsync(name, entry.Size, source, cancellationToken).ConfigureAwait(false);
                }
                return;
        }
    }

    /// <summary>
    /// Copies a file's content into the tar. With <paramref name="previous"/> (where the previous tar holds the same
    /// content, see <see cref="LayerReuse"/>), what is not in the page cache is read from the previous tar instead: one
    /// sequential direct-I/O read rather than one file after another from the disk, and nothing from the disk at all
    /// where the context was just read or written (a checkout, an edit).
    /// </summary>
    private async ValueTask CopyFileAsync(string name, long size, FileLayerContent file, TarIndexEntry? previous, CancellationToken cancellationToken)
    {
        using var handle = LibC.OpenReadNoFollow(file.FilePath);
        var status = LibC.FStat(handle, file.FilePath);
        if (!status.IsRegular
            || (file.Identity is { } seen && seen != new FileIdentity(status.DeviceMajor, status.DeviceMinor, status.Inode)))
        {
            throw new IOException($"{file.FilePath} was replaced while the layer was being written");
        }
        if (status.Size != size)
        {
            throw new IOException($"{file.FilePath} changed size while the layer was being written ({size} → {status.Size} bytes)");
        }
        long offset = 0;
        var headerChecked = false;
        while (offset < size)
        {
            var memory = output.GetMemory();
            var wanted = (int)Math.Min(memory.Length, size - offset);
            // Local files: a synchronous pread straight into the chunk is the fastest path (no copy, no task, no lseek).
            var n = previous is null ? LibC.Read(handle, memory.Span[..wanted], offset, file.FilePath)
                : LibC.ReadIfCached(handle, memory.Span[..wanted], offset) is var cached and >= 0 ? cached
                : reuse!.ReadPrevious(previous, _header.WrittenSpan, ref headerChecked, memory.Span[..wanted], offset);
            if (n == 0)
            {
                throw new IOException($"{file.FilePath} shrank while the layer was being written ({size} → {offset} bytes)");
            }
            offset += n;
            await output.AdvanceAsync(n, cancellationToken).ConfigureAwait(false);
        }
        if (LibC.Read(handle, _probe, offset, file.FilePath) != 0)
        {
            throw new IOException($"{file.FilePath} grew while the layer was being written (more than {size} bytes) for {name}");
        }
    }

    private async ValueTask CopyStreamAsync(string name, long size, Stream source, CancellationToken cancellationToken)
    {
        long copied = 0;
        while (copied < size)
        {
            var memory = output.GetMemory();
            var n = await source.ReadAsync(memory[..(int)Math.Min(memory.Length, size - copied)], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException($"{name}: content ended after {copied} of {size} bytes");
            }
            copied += n;
            await output.AdvanceAsync(n, cancellationToken).ConfigureAwait(false);
        }
        if (await source.ReadAsync(_probe, cancellationToken).ConfigureAwait(false) != 0)
        {
            throw new IOException($"{name}: content is longer than its size, {size} bytes");
        }
    }
}
