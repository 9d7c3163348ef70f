using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Builder.Oci.Content;
using Builder.Oci.Layers;
using Microsoft.Win32.SafeHandles;

namespace Builder.Oci.Tests.Layers;

/// <summary>
/// A layer written from the previous layer of the same step (<see cref="LayerReuse"/>) is, byte for byte, the layer a
/// full write of the same changes gives; a damaged or misplaced index, or a header altered in the previous tar, never
/// gives a wrong byte.
/// </summary>
public sealed class LayerReuseTests : IDisposable
{
    private static readonly LayerWriterOptions Plain = new() { Compression = LayerCompression.None };
    private static readonly DateTimeOffset Time = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private readonly string _root = Directory.CreateTempSubdirectory("layer-reuse-").FullName;
    private readonly string _files;
    private OciLayoutStore _store = null!;

    public LayerReuseTests()
    {
        _files = Directory.CreateDirectory(Path.Combine(_root, "files")).FullName;
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string? Sha256(string path) => File.Exists(path) ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))) : null;

    /// <summary>A regular file of the tree at <paramref name="path"/> with <paramref name="text"/> (written to disk), 0644, root's.</summary>
    private LayerEntry FileEntry(string path, string text, string? source = null)
    {
        var host = Path.Combine(_files, source ?? path.Replace('/', '_'));
        File.WriteAllText(host, text);
        return new LayerEntry(path, LayerEntryType.RegularFile)
        {
            Mode = (UnixFileMode)0b110_100_100, ModificationTime = Time, Size = new FileInfo(host).Length, Content = LayerContent.FromFile(host),
        };
    }

    private static LayerEntry Dir(string path) => new(path, LayerEntryType.Directory) { Mode = (UnixFileMode)0b111_101_101, ModificationTime = Time };

    private async Task<(LayerDescriptor Layer, TarIndex Index, int Reused)> WriteAsync(IReadOnlyList<LayerChange> changes, TarIndex? previous)
    {
        _store ??= await OciLayoutStore.OpenAsync(Path.Combine(_root, "store"), CancellationToken.None);
        using var reuse = await LayerReuse.OpenAsync(_store, previous, Sha256, CancellationToken.None);
        var layer = await LayerWriter.WriteToStoreAsync(_store, changes, Plain, reuse, CancellationToken.None);
        return (layer, reuse.Index(layer), reuse.ReusedEntries);
    }

    /// <summary>Writes <paramref name="before"/>, then <paramref name="after"/> from it; checks it against a full write and returns the reused count.</summary>
    private async Task<int> RewriteAsync(Func<IReadOnlyList<LayerChange>> before, Func<IReadOnlyList<LayerChange>> after)
    {
        var (_, index, _) = await WriteAsync(before(), null);
        var changes = after();
        var (incremental, _, reused) = await WriteAsync(changes, index);
        var full = await LayerWriter.WriteAsync(changes, Stream.Null, Plain, CancellationToken.None);
        Assert.Equal(full.DiffId, incremental.DiffId);
        Assert.Equal(full.Compressed, incremental.Compressed);
        return reused;
    }

    private LayerChange[] Tree(string changedText = "two") =>
        [Dir("app"), FileEntry("app/a", new string('a', 1000)), FileEntry("app/b", changedText), FileEntry("app/c", new string('c', 70_000))];

    [DllImport("libc", SetLastError = true)]
    private static extern int posix_fadvise(SafeFileHandle fd, long offset, long length, int advice);

    /// <summary>Drops a file's pages from the page cache (written back first), so reading it needs the disk.</summary>
    private static void Evict(string path)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        RandomAccess.FlushToDisk(file);
        Assert.Equal(0, posix_fadvise(file, 0, 0, 4)); // POSIX_FADV_DONTNEED
    }

    /// <summary>Evicts every source file, and gives their digests as taken before (computing one would read it back).</summary>
    private Func<string, string?> EvictSources()
    {
        var digests = Directory.GetFiles(_files).ToDictionary(f => f, Sha256);
        foreach (var source in digests.Keys)
        {
            Evict(source);
        }
        return path => digests.GetValueOrDefault(path);
    }

    [Fact]
    public async Task An_unchanged_files_bytes_come_from_the_page_cache_when_there_and_from_the_previous_tar_when_not()
    {
        // Which copy was read is made visible by a digest that lies: app/c's source is rewritten with other bytes of the
        // same size but said to hold the old content. From memory the new bytes are taken; from the previous tar, the old.
        var (_, index, _) = await WriteAsync(Tree(), null);
        var source = Path.Combine(_files, "app_c");
        var oldDigest = Sha256(source);
        string? Lying(string path) => path == source ? oldDigest : Sha256(path);

        async Task<char> FirstByteOfAsync(bool evicted)
        {
            var changes = Tree();
            File.WriteAllText(source, new string('d', 70_000));
            if (evicted)
            {
                Evict(source);
            }
            using var reuse = await LayerReuse.OpenAsync(_store, index, Lying, CancellationToken.None);
            var layer = await LayerWriter.WriteToStoreAsync(_store, changes, Plain, reuse, CancellationToken.None);
            Assert.Equal(3, reuse.ReusedEntries);
            await using var tar = await _store.OpenReadAsync(layer.Compressed.Digest, CancellationToken.None);
            var reader = new TarEntryReader(tar);
            while (await reader.NextAsync(CancellationToken.None) is { } header)
            {
                if (header.Name == "app/c")
                {
                    return (char)(await reader.ReadDataAsync(CancellationToken.None)).Span[0];
                }
            }
            throw new InvalidOperationException("the layer has no app/c");
        }

        Assert.Equal('d', await FirstByteOfAsync(evicted: false));
        Assert.Equal('c', await FirstByteOfAsync(evicted: true));
    }

    [Fact]
    public async Task A_changed_file_is_written_and_the_others_are_taken_from_the_previous_tar()
    {
        Assert.Equal(2, await RewriteAsync(() => Tree("two"), () => Tree("changed, and longer")));
    }

    [Fact]
    public async Task Added_removed_and_renamed_files_give_the_full_writes_bytes()
    {
        Assert.Equal(3, await RewriteAsync(() => Tree(), () => [.. Tree(), FileEntry("app/added", "new")]));
        Assert.Equal(2, await RewriteAsync(() => Tree(), () => Tree().Where(c => c.Path != "app/b").ToArray()));
        Assert.Equal(2, await RewriteAsync(() => Tree(), () => Tree().Select(c => c.Path == "app/c" ? c with { Path = "app/renamed" } : c).ToArray()));
    }

    [Fact]
    public async Task A_mode_owner_or_mtime_change_gives_a_new_header_and_the_files_bytes()
    {
        LayerChange[] Changed(Func<LayerEntry, LayerEntry> change) => Tree().Select(c => c.Path == "app/a" ? change((LayerEntry)c) : c).ToArray();
        Assert.Equal(2, await RewriteAsync(() => Tree(), () => Changed(e => e with { Mode = (UnixFileMode)0b111_101_101 })));
        Assert.Equal(2, await RewriteAsync(() => Tree(), () => Changed(e => e with { UserId = 1000, GroupId = 1000 })));
        Assert.Equal(2, await RewriteAsync(() => Tree(), () => Changed(e => e with { ModificationTime = Time.AddSeconds(1) })));
    }

    [Fact]
    public async Task A_file_replaced_by_a_directory_and_back_gives_the_full_writes_bytes()
    {
        IReadOnlyList<LayerChange> AsDirectory() => [.. Tree().Where(c => c.Path != "app/b"), Dir("app/b"), FileEntry("app/b/inner", "inner")];
        Assert.Equal(2, await RewriteAsync(() => Tree(), AsDirectory));
        Assert.Equal(2, await RewriteAsync(AsDirectory, () => Tree("inner")));
    }

    [Fact]
    public async Task Hardlinks_give_the_full_writes_bytes()
    {
        LayerChange[] Linked(string target) =>
            [.. Tree(), new LayerEntry("app/link", LayerEntryType.Hardlink) { LinkTarget = target, Mode = (UnixFileMode)0b110_100_100, ModificationTime = Time }];
        Assert.Equal(3, await RewriteAsync(() => Linked("app/a"), () => Linked("app/c")));
        Assert.Equal(3, await RewriteAsync(() => Tree(), () => Linked("app/a")));
    }

    [Fact]
    public async Task Content_that_changes_back_and_forth_is_taken_only_when_the_digest_matches()
    {
        // Same size, same header, other bytes: the digest tells them apart.
        Assert.Equal(2, await RewriteAsync(() => Tree("xxx"), () => Tree("yyy")));
    }

    [Fact]
    public async Task An_index_with_wrong_offsets_or_digests_reuses_nothing_wrong()
    {
        var (_, index, _) = await WriteAsync(Tree(), null);
        var changes = Tree("other");
        var full = await LayerWriter.WriteAsync(changes, Stream.Null, Plain, CancellationToken.None);

        // Offsets pointing at another entry: the bytes come from the sources in memory; to be read from the previous
        // tar, the header found there (another entry's) stops the write.
        var shifted = index with { Entries = [.. index.Entries.Select((e, i) => e with { Offset = index.Entries[(i + 1) % index.Entries.Count].Offset })] };
        var fromShifted = await WriteAsync(changes, TarIndex.TryParse(shifted.ToBytes()) ?? shifted);
        Assert.Equal(full.DiffId, fromShifted.Layer.DiffId);
        var digests = EvictSources();
        using (var reuse = await LayerReuse.OpenAsync(_store, shifted, digests, CancellationToken.None))
        {
            await Assert.ThrowsAsync<LayerReuseException>(() => LayerWriter.WriteAsync(changes, Stream.Null, Plain, reuse, CancellationToken.None));
        }

        // An index naming another blob, whose size does not match: none of it is read.
        var (other, _, _) = await WriteAsync([FileEntry("x", "x")], null);
        var elsewhere = await WriteAsync(changes, index with { Layer = other.DiffId });
        Assert.Equal(0, elsewhere.Reused);
        Assert.Equal(full.DiffId, elsewhere.Layer.DiffId);
    }

    [Fact]
    public async Task A_previous_tar_not_holding_an_entrys_header_where_its_index_says_is_detected_before_its_bytes_are_taken()
    {
        var (layer, index, _) = await WriteAsync(Tree(), null);
        // app/a's header altered in the blob itself (one byte of its mtime field), and the sources out of memory, so
        // their bytes would come from the previous tar: the header is checked there first, and the write refused.
        var blob = Path.Combine(_root, "store", "blobs", "sha256", layer.DiffId.Hex);
        var a = index.Entries.Single(e => e.Name == "app/a");
        using (var file = File.Open(blob, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = a.Offset + 136;
            file.WriteByte((byte)'7');
        }
        var changes = Tree("other");
        var digests = EvictSources();
        using (var reuse = await LayerReuse.OpenAsync(_store, index, digests, CancellationToken.None))
        {
            var error = await Assert.ThrowsAsync<LayerReuseException>(() => LayerWriter.WriteAsync(changes, Stream.Null, Plain, reuse, CancellationToken.None));
            Assert.Contains("app/a's header", error.Message, StringComparison.Ordinal);
        }

        // A blob truncated (or grown) is not read at all: its size is not the index's.
        Assert.Equal(0, (await WriteAsync(Tree(), index with { Size = layer.UncompressedSize + 512 })).Reused);
    }

    [Fact]
    public void A_damaged_index_is_no_index()
    {
        var zero = new string('0', 64);
        var layer = Digest.Parse("sha256:" + zero);
        TarIndex Index(long size, params TarIndexEntry[] entries) => new(layer, size, entries);
        var good = Index(100_000, new TarIndexEntry("a", 0, 512, 1, zero, zero), new TarIndexEntry("b", 1024, 512, 1, zero, zero));
        Assert.NotNull(TarIndex.TryParse(good.ToBytes()));

        Assert.Null(TarIndex.TryParse([]));
        Assert.Null(TarIndex.TryParse("{}"u8));
        Assert.Null(TarIndex.TryParse([.. good.ToBytes(), 0])); // bytes after the last entry
        var wrongMagic = good.ToBytes();
        wrongMagic[0] ^= 1;
        Assert.Null(TarIndex.TryParse(wrongMagic));
        foreach (var bad in new[]
        {
            Index(100_000, new TarIndexEntry("a", -512, 512, 1, zero, zero)),                                      // before the tar
            Index(10, new TarIndexEntry("a", 0, 512, 1, zero, zero)),                                              // past its end
            Index(100_000, new TarIndexEntry("a", 0, 500, 1, zero, zero)),                                         // not whole blocks
            Index(100_000, new TarIndexEntry("b", 1024, 512, 1, zero, zero), new TarIndexEntry("a", 0, 512, 1, zero, zero)), // out of order
            Index(100_000, new TarIndexEntry("a", 0, 512, -1, zero, zero)),
        })
        {
            Assert.Null(TarIndex.TryParse(bad.ToBytes()));
        }
        // A count larger than the bytes could hold is refused before anything is allocated for it.
        var huge = good.ToBytes();
        var countAt = huge.Length - 2 * (8 + 1 + 3 * 8 + 64) - 8;
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(huge.AsSpan(countAt), long.MaxValue / 2);
        Assert.Null(TarIndex.TryParse(huge));
        // Not a name in UTF-8.
        var badName = good.ToBytes();
        badName[countAt + 16] = 0xFF;
        Assert.Null(TarIndex.TryParse(badName));
    }

    [Fact]
    public async Task An_index_round_trips_and_a_truncated_one_is_rejected()
    {
        var (_, index, _) = await WriteAsync(Tree(), null);
        var bytes = index.ToBytes();
        Assert.Equal(index.Entries, TarIndex.TryParse(bytes)!.Entries);
        Assert.Equal(index.Layer, TarIndex.TryParse(bytes)!.Layer);
        for (var cut = 1; cut < bytes.Length; cut += 7)
        {
            Assert.Null(TarIndex.TryParse(bytes.AsSpan(0, bytes.Length - cut)));
        }
    }
}
