namespace Builder.Oci.Layers;

/// <summary>A file's owner as numeric ids.</summary>
public readonly record struct LayerOwner(long UserId, long GroupId);

/// <summary>How <see cref="LayerApplier"/> extracts a layer.</summary>
public sealed record LayerApplyOptions
{
    /// <summary>
    /// Maps each entry's owner before chown (e.g. into a subordinate id range). Null: as root, entries keep
    /// the tar's ids; otherwise they stay owned by the current user.
    /// </summary>
    public Func<LayerOwner, LayerOwner>? MapOwner { get; init; }

    /// <summary>
    /// When mknod of a character or block device is not permitted (no CAP_MKNOD, as in a user namespace):
    /// true skips the device and reports it in <see cref="LayerApplyResult.Warnings"/>, as rootless docker and
    /// podman do; false fails the layer.
    /// </summary>
    public bool SkipDevicesWhenNotPermitted { get; init; } = true;

    /// <summary>
    /// Keep whiteouts as overlayfs expects them in a lower directory instead of applying them: <c>.wh.name</c> becomes a
    /// 0/0 character device, <c>.wh..wh..opq</c> the opaque xattr named here (<c>trusted.overlay.opaque</c>, or
    /// <c>user.overlay.opaque</c> for a <c>userxattr</c> mount). Null applies whiteouts by deleting. Use it on an empty
    /// directory, one layer per directory (or on an earlier version of the same layer, with <see cref="Unchanged"/>).
    /// </summary>
    public string? OverlayOpaqueXattr { get; init; }

    /// <summary>
    /// For a regular file entry (its header, its path below the target): an existing file with the same content and
    /// metadata to hard-link instead of writing the data (an unchanged file of the previous extraction of a layer), or
    /// null to write it. Only for targets nothing writes into afterwards: the inode is shared.
    /// </summary>
    public Func<TarEntryHeader, string, string?>? SameFile { get; init; }

    /// <summary>
    /// Non-null when the target holds the extraction of an earlier version of this layer (recycled, as the layer cache
    /// does for a one-file rebuild): a regular file entry for which this is true (its header is, byte for byte, the
    /// earlier version's) keeps the file there when that still has the header's size, mode and time, its data skipped;
    /// every other entry replaces what is there; and whatever the layer does not name is removed at the end (an opaque
    /// marker the layer no longer has, too), so the target ends as an extraction into an empty directory would.
    /// </summary>
    public Func<TarEntryHeader, bool>? Unchanged { get; init; }
}

/// <summary>What applying a layer did.</summary>
public sealed record LayerApplyResult(long Entries, IReadOnlyList<LayerApplyWarning> Warnings);

/// <summary>Something applied only in part: a device not created, an xattr the file system refused.</summary>
public sealed record LayerApplyWarning(string EntryName, string Message);

/// <summary>A layer entry refused because applying it would reach outside the target directory.</summary>
public sealed class UnsafeLayerEntryException(string entryName, string reason)
    : IOException($"layer entry \"{entryName}\" refused: {reason}")
{
    public string EntryName { get; } = entryName;

    public string Reason { get; } = reason;
}
