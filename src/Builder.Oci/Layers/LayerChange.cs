namespace Builder.Oci.Layers;

/// <summary>
/// One change a layer records, at a slash-separated path relative to the root (<c>etc/passwd</c>, no leading
/// slash, no <c>.</c> or <c>..</c> components): an entry added or replaced, a deletion, or an opaque directory.
/// </summary>
public abstract record LayerChange(string Path);

/// <summary>A deletion of <see cref="LayerChange.Path"/> from lower layers, written as a <c>.wh.&lt;name&gt;</c> whiteout.</summary>
public sealed record LayerWhiteout(string Path) : LayerChange(Path);

/// <summary>
/// A directory whose lower-layer contents are hidden (written as <c>&lt;dir&gt;/.wh..wh..opq</c>). Give the
/// directory's own entry separately; the marker only says "nothing below from lower layers".
/// </summary>
public sealed record LayerOpaqueDirectory(string Path) : LayerChange(Path);

/// <summary>The kinds of file system entry a layer tar can hold.</summary>
public enum LayerEntryType
{
    RegularFile,
    Directory,
    Symlink,
    Hardlink,
    CharacterDevice,
    BlockDevice,
    Fifo,
}

/// <summary>An entry added or replaced by a layer, with the metadata the tar header keeps.</summary>
public sealed record LayerEntry(string Path, LayerEntryType Type) : LayerChange(Path)
{
    /// <summary>Permission bits with setuid, setgid and sticky (<c>0o7777</c>); the type is <see cref="Type"/>.</summary>
    public UnixFileMode Mode { get; init; }

    public long UserId { get; init; }

    public long GroupId { get; init; }

    /// <summary>Written in whole seconds, clamped to <see cref="LayerWriterOptions.SourceDateEpoch"/> when that is set.</summary>
    public DateTimeOffset ModificationTime { get; init; } = DateTimeOffset.UnixEpoch;

    /// <summary>A symlink's target (any text), or for a hardlink the layer path of the entry it links to.</summary>
    public string? LinkTarget { get; init; }

    /// <summary>The content length of a regular file; the content must have exactly this many bytes.</summary>
    public long Size { get; init; }

    /// <summary>Where a regular file's bytes come from; null means empty.</summary>
    public LayerContent? Content { get; init; }

    public long DeviceMajor { get; init; }

    public long DeviceMinor { get; init; }

    /// <summary>Extended attributes (<c>security.capability</c>, <c>user.*</c>), written as <c>SCHILY.xattr.*</c> PAX records.</summary>
    public IReadOnlyDictionary<string, byte[]> ExtendedAttributes { get; init; } = EmptyAttributes;

    private static readonly IReadOnlyDictionary<string, byte[]> EmptyAttributes = new Dictionary<string, byte[]>();
}

/// <summary>The bytes of a regular file in a layer: read once, streamed, never held whole in memory.</summary>
public abstract record LayerContent
{
    private protected LayerContent()
    {
    }

    /// <summary>A file on disk, opened without following symlinks when the layer is written.</summary>
    public static LayerContent FromFile(string path) => new FileLayerContent(path, null);

    /// <summary>A stream opened when the layer is written and disposed after.</summary>
    public static LayerContent FromStream(Func<Stream> open) => new StreamLayerContent(open);

    public static LayerContent FromBytes(ReadOnlyMemory<byte> bytes) => new BytesLayerContent(bytes);
}

/// <param name="Identity">The (device, inode) seen when scanning, so a file swapped before reading is noticed.</param>
internal sealed record FileLayerContent(string FilePath, FileIdentity? Identity) : LayerContent;

internal sealed record StreamLayerContent(Func<Stream> Open) : LayerContent;

internal sealed record BytesLayerContent(ReadOnlyMemory<byte> Bytes) : LayerContent;

internal readonly record struct FileIdentity(uint DeviceMajor, uint DeviceMinor, ulong Inode);
