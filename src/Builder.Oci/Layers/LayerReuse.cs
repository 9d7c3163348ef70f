using System.Collections.Concurrent;
using System.Security.Cryptography;
using Builder.Oci.Content;

namespace Builder.Oci.Layers;

/// <summary>
/// A layer written from the previous layer of the same step: a regular file whose header and content are what they
/// were is marked reused (its extracted copy is then linked, not written), its bytes are taken from wherever they are
/// in memory (the source's page cache) or else from the previous plain tar (one file, read sequentially), and the new
/// tar's <see cref="TarIndex"/> is recorded for the next write. The tar is the one a full write gives,
/// byte for byte: headers are made as always and compared whole with the previous bytes, and content is taken only
/// when the index's sha256 is the new source's.
/// </summary>
/// <remarks>
/// Why not more, or less:
/// <list type="bullet">
/// <item>Bytes still pass through this process: the digest is a sha256 over the whole tar, so every byte is hashed
/// anyway. <c>copy_file_range</c> would add a second read of each range on a file system without reflinks (this
/// machine's ext4) and win only where the store's file system shares extents.</item>
/// <item>Which copy is read: the previous tar is not in the page cache (it was written past it, with direct I/O),
/// and copying it means reading 1.3 GB from the disk while the new 1.3 GB is written to it (on this VM 1.2–1.4 s for
/// the two, measured with dd, against 0.5–0.8 s for either alone). A context just checked out, edited or read by the
/// last build is in memory, so each file is first read with <c>RWF_NOWAIT</c> (<see cref="Builder.Posix.LibC.ReadIfCached"/>)
/// and only what would need the disk is read from the previous tar, front to back with direct I/O
/// (<see cref="DirectFileReader"/>). Either way the bytes are the same: the index's sha256 is the source's.</item>
/// <item>The index is a hint, checked where checking is cheap: an index naming another blob or a blob of another
/// size is not used; an entry whose header is not, byte for byte, at the index's offset (a misplaced or stale index,
/// changed metadata) is written fresh; a tar ending inside a range gives a <see cref="LayerReuseException"/> (the
/// caller writes the layer again from scratch).</item>
/// <item>The previous tar's content is trusted as a cache hit trusts a layer: it is a blob of this store, whose digest
/// was checked when it was committed, and its extracted copy (which the new extraction links) is not re-read either.
/// Hashing the copied bytes again against the index was a second sha256 pass over the whole layer, on the core the
/// store's digest needed: 0.5 s of a 3.3 s one-file rebuild at 10× the benchmark's context.</item>
/// <item>The win is mostly not here but in the extraction (<see cref="WasReused"/>): an entry taken from the
/// previous tar is kept where it is in the previous extracted layer, when the layer cache can recycle that copy into
/// the new one, or else hard-linked from it, instead of being written again.</item>
/// </list>
/// Measured on the build benchmark's workload (133 MB / 4,000 files, <c>COPY tree /ctx</c> then a RUN over it, one
/// small file changed per rebuild; native CLI; this 2-core machine, shared and noisy, so every run is listed; step
/// times as <c>--progress plain</c> prints them, whole build process start to exit):
/// <code>
///                        one-file rebuilds 1, 2, 3 (COPY step / whole build)
///   before, round 1      1.1 / 1.33 s    0.4 / 0.61 s    0.7 / 0.89 s
///   before, round 2      1.9 / 2.17 s    1.2 / 1.48 s    1.3 / 1.55 s
///   after,  round 1      0.5 / 0.66 s    0.5 / 0.68 s    0.8 / 0.94 s
///   after,  round 2      0.5 / 0.67 s    0.5 / 0.72 s    0.8 / 0.96 s
///   after, 4 more        0.5 / 0.65 s    0.5 / 0.67 s    0.9 / 1.07 s    0.8 / 0.95 s
/// </code>
/// Every rebuild linked 3,990 of the 4,000 files (the other ten are empty, written as headers alone). What is left is
/// writing (and fsyncing) the 133 MB tar itself; its time varies with the disk's writeback (the 0.8-0.9 s runs), which
/// only a file system with reflinks (<c>copy_file_range</c> sharing extents) would remove.
/// At 10× the context (40,000 files, 1.3 GB; native CLI, one file changed per rebuild, COPY step as
/// <c>--progress plain</c> prints it / whole build):
/// <code>
///   buffered preads of the previous tar, its bytes hashed again   5.3 / 6.05   5.6 / 6.34   5.1 / 5.78 s
///   direct-I/O reads, no second hash                              2.6 / 3.28   2.6 / 3.26   2.5 / 3.12 s
///   bytes from the page cache first, 4 chunks in flight           2.5 / 3.19   2.6 / 3.30   2.6 / 3.22   2.4 / 3.10 s
/// </code>
/// (perf before: <c>_copy_to_iter</c> under <c>pread64</c> 19% of all samples, libcrypto 12%.) The last line is no
/// longer disk-bound: one sha256 pass (0.75 s of a core), ~9 file-system calls per file between the context, the tar
/// and the extraction (statx, open, preadv2, link...), and the copies into the pipe the extraction reads share the two
/// cores. Since then the extraction reads through a <see cref="ChunkRelay"/> (one copy, linked entries' data skipped
/// unread), its applier no longer lstat's names it knows are free, and no lseek per file: whole build 2.98 s (median
/// of 6, 2.93–3.11) against 3.13 s (3.11–3.70) for the build before, alternating in one store. What is left: link(2)
/// itself (~11 µs a file on this ext4, 10% of all samples), the 1.3 GB direct write (the hashing waited 0.5–0.8 s on
/// it), and ~0.45 s single-threaded before the tar starts (planning the copy, the previous index, sorting the entries).
/// Since then the chunks are shared rather than copied into the direct writer and the relay (<see cref="Content.SharedChunk"/>),
/// four are written at once, and the index is binary (<see cref="TarIndex.ToBytes"/>): whole build 2.69 → 2.44 s
/// (medians of 7, alternating, each build in its own store); both cores are now busy through the tar.
/// </remarks>
public sealed class LayerReuse : IDisposable
{
    private readonly Stream? _previousStream;
    private readonly DirectFileReader? _previous;
    private readonly Dictionary<string, TarIndexEntry> _previousEntries = new(StringComparer.Ordinal);
    private readonly Func<string, string?> _contentDigest;
    private readonly ConcurrentDictionary<string, byte> _reused = new(StringComparer.Ordinal);
    private readonly List<TarIndexEntry> _written = [];
    private readonly byte[] _header = new byte[TarFormat.BlockSize * 4];

    private LayerReuse(TarIndex? previous, Stream? previousStream, Func<string, string?> contentDigest)
    {
        _contentDigest = contentDigest;
        if (previous is not null && previousStream is FileStream file)
        {
            PreviousLayer = previous.Layer;
            _previousStream = previousStream;
            _previous = new DirectFileReader(file.SafeFileHandle);
            foreach (var entry in previous.Entries)
            {
                _previousEntries[entry.Name] = entry;
            }
        }
        else
        {
            previousStream?.Dispose();
        }
    }

    /// <summary>
    /// Reuse of the plain layer <paramref name="previous"/> describes, when the store holds it with the index's size;
    /// else a write that only records the new index. <paramref name="contentDigest"/> gives the sha256 (hex) of a
    /// source file's content by its path, or null when it is not known (then the file is read as always).
    /// </summary>
    public static async Task<LayerReuse> OpenAsync(IContentProvider store, TarIndex? previous, Func<string, string?> contentDigest,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (previous is null || await store.InfoAsync(previous.Layer, cancellationToken).ConfigureAwait(false) is not { } info || info.Size != previous.Size)
        {
            return new LayerReuse(null, null, contentDigest);
        }
        try
        {
            return new LayerReuse(previous, await store.OpenReadAsync(previous.Layer, cancellationToken).ConfigureAwait(false), contentDigest);
        }
        catch (ContentNotFoundException)
        {
            return new LayerReuse(null, null, contentDigest); // pruned since
        }
    }

    /// <summary>A write that only records the new index (the fallback once reuse failed).</summary>
    public static LayerReuse RecordOnly(Func<string, string?> contentDigest) => new(null, null, contentDigest);

    /// <summary>The plain layer (digest = diffID) entries are taken from, or null when there is none.</summary>
    public Digest? PreviousLayer { get; }

    /// <summary>Entries taken from the previous tar so far.</summary>
    public int ReusedEntries => _reused.Count;

    /// <summary>Whether the entry named <paramref name="tarName"/> was taken from the previous tar; safe from another thread.</summary>
    public bool WasReused(string tarName) => _reused.ContainsKey(tarName);

    /// <summary>The index of the tar written, once it is complete.</summary>
    public TarIndex Index(LayerDescriptor layer) => new(layer.Compressed.Digest, layer.UncompressedSize, [.. _written]);

    internal string? ContentDigest(LayerContent? content) => content is FileLayerContent file ? _contentDigest(file.FilePath) : null;

    /// <summary>Records where a regular file's content went and what its header was, for the next write; the entry recorded.</summary>
    internal TarIndexEntry Record(string name, long offset, ReadOnlySpan<byte> header, long size, string sha256)
    {
        var entry = new TarIndexEntry(name, offset, header.Length, size, sha256, Convert.ToHexStringLower(SHA256.HashData(header)));
        _written.Add(entry);
        return entry;
    }

    /// <summary>
    /// The previous tar's entry for the one just <paramref name="written"/> (<see cref="Record"/>) when its content can be
    /// taken as it was: the same header (by its digest in the index: the previous tar is not read for it) and content
    /// with the index's sha256. It is then marked reused; else null.
    /// </summary>
    internal TarIndexEntry? TryTake(TarIndexEntry written)
    {
        var name = written.Name;
        if (_previous is null || !_previousEntries.TryGetValue(name, out var old)
            || old.Size != written.Size || old.HeaderLength != written.HeaderLength || old.Sha256 != written.Sha256 || old.HeaderSha256 != written.HeaderSha256)
        {
            return null; // new, changed, or the same content with other metadata (mode, owner, mtime...): written fresh
        }
        // Marked before the header goes out: an extraction reading the tar as it is written sees a file larger than a
        // chunk begin before its copy ends, and must link it too. Should the copy then fail, the whole write (the
        // extraction included) is discarded and done again without reuse.
        _reused[name] = 0;
        return old;
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with the previous tar's bytes of <paramref name="old"/>'s content from
    /// <paramref name="offset"/> on. The first read of an entry checks that the previous tar holds its
    /// <paramref name="header"/> where the index says (<paramref name="headerChecked"/> remembers it).
    /// </summary>
    /// <exception cref="LayerReuseException">The previous tar does not hold that header there, or ends first.</exception>
    internal int ReadPrevious(TarIndexEntry old, ReadOnlySpan<byte> header, ref bool headerChecked, Span<byte> destination, long offset)
    {
        if (!headerChecked)
        {
            var oldHeader = header.Length <= _header.Length ? _header.AsSpan(0, header.Length) : new byte[header.Length];
            if (_previous!.Read(oldHeader, old.Offset) != header.Length || !oldHeader.SequenceEqual(header))
            {
                throw new LayerReuseException($"the previous layer {PreviousLayer} does not hold {old.Name}'s header where its index says");
            }
            headerChecked = true;
        }
        var n = _previous!.Read(destination, old.Offset + old.HeaderLength + offset);
        return n == destination.Length ? n : throw new LayerReuseException($"the previous layer {PreviousLayer} ends inside {old.Name}");
    }

    public void Dispose()
    {
        _previous?.Dispose();
        _previousStream?.Dispose();
    }
}

/// <summary>A previous layer did not hold what its index said: the layer is to be written again without it.</summary>
public sealed class LayerReuseException(string message) : IOException(message);
