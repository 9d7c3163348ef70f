using System.Text;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.Layers;
using Builder.Sandbox.Snapshots;

namespace Builder.Sandbox.Tests.Snapshots;

/// <summary>A change set written as a layer goes into the store and, from the same bytes, into the cache's extracted layers.</summary>
public sealed class LayerCacheTests : IDisposable
{
    private static readonly LayerWriterOptions Options = new() { Compression = LayerCompression.None };

    private readonly string _root = Directory.CreateTempSubdirectory("layer-cache-").FullName;

    public void Dispose()
    {
        LayerCache.DeleteTree(_root);
    }

    private static LayerEntry File(string path, string text) =>
        new(path, LayerEntryType.RegularFile) { Mode = (UnixFileMode)0b110_100_100, Size = Encoding.UTF8.GetByteCount(text), Content = LayerContent.FromBytes(Encoding.UTF8.GetBytes(text)) };

    [Fact]
    public async Task A_written_layer_is_stored_and_extracted_and_reads_back_through_a_view()
    {
        var store = await OciLayoutStore.OpenAsync(Path.Combine(_root, "store"), CancellationToken.None);
        var cache = new LayerCache(Path.Combine(_root, "layers"));

        var layer = await cache.WriteAsync(store, [new LayerEntry("etc", LayerEntryType.Directory) { Mode = (UnixFileMode)0b111_101_101 }, File("etc/os-release", "ID=test\n")],
            Options, expected: null, null, CancellationToken.None);

        Assert.True(cache.Contains(layer.DiffId));
        var view = await cache.ViewAsync([new StoredLayer(store, layer.Compressed, layer.DiffId)], CancellationToken.None);
        Assert.Equal("ID=test\n", view.ReadText("/etc/os-release"));
        Assert.Empty(Directory.EnumerateDirectories(cache.Root, "*.tmp"));
    }

    [Fact]
    public async Task When_the_expected_layer_is_extracted_already_only_the_tar_is_written()
    {
        var store = await OciLayoutStore.OpenAsync(Path.Combine(_root, "store"), CancellationToken.None);
        var cache = new LayerCache(Path.Combine(_root, "layers"));
        var earlier = await cache.WriteAsync(store, [File("a", "same")], Options, expected: null, null, CancellationToken.None);

        // The step made something else this time: the blob is right, and the cache extracts it when a step needs it.
        var layer = await cache.WriteAsync(store, [File("a", "different")], Options, earlier.DiffId, null, CancellationToken.None);

        Assert.NotEqual(earlier.DiffId, layer.DiffId);
        Assert.False(cache.Contains(layer.DiffId));
        var view = await cache.ViewAsync([new StoredLayer(store, layer.Compressed, layer.DiffId)], CancellationToken.None);
        Assert.Equal("different", view.ReadText("/a"));
    }

    [Fact]
    public async Task A_layer_written_from_the_previous_one_links_its_unchanged_files_from_the_previous_extraction_whatever_their_size()
    {
        var store = await OciLayoutStore.OpenAsync(Path.Combine(_root, "store"), CancellationToken.None);
        var cache = new LayerCache(Path.Combine(_root, "layers"));
        var sources = Directory.CreateDirectory(Path.Combine(_root, "sources")).FullName;
        var time = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        LayerEntry Source(string name, int size)
        {
            var host = Path.Combine(sources, name);
            System.IO.File.WriteAllBytes(host, [.. Enumerable.Range(0, size).Select(i => (byte)(i * 7 + name.Length))]);
            return new LayerEntry(name, LayerEntryType.RegularFile) { Mode = (UnixFileMode)0b110_100_100, ModificationTime = time, Size = size, Content = LayerContent.FromFile(host) };
        }
        string? Digest(string path) => System.IO.File.Exists(path) ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.IO.File.ReadAllBytes(path))) : null;
        // "large" is more than the tar pipe holds (8 MiB) before its writer waits for the extraction: the extraction
        // sees its header long before its copy ends.
        IReadOnlyList<LayerChange> Changes(int changedSize) => [Source("large", 12 << 20), Source("small", 10), Source("changed", changedSize)];
        using var first = await LayerReuse.OpenAsync(store, null, Digest, CancellationToken.None);
        var before = await cache.WriteAsync(store, Changes(1), Options, null, first, CancellationToken.None);

        using var reuse = await LayerReuse.OpenAsync(store, first.Index(before), Digest, CancellationToken.None);
        var after = await cache.WriteAsync(store, Changes(2), Options, null, reuse, CancellationToken.None);

        ulong Inode(LayerDescriptor layer, string name) => Builder.Posix.LibC.LStat(Path.Combine(cache.Root, layer.DiffId.Hex, name))!.Value.Inode;
        Assert.Equal(2, reuse.ReusedEntries);
        Assert.Equal(Inode(before, "large"), Inode(after, "large"));
        Assert.Equal(Inode(before, "small"), Inode(after, "small"));
        Assert.NotEqual(Inode(before, "changed"), Inode(after, "changed"));
        Assert.Equal(2, new FileInfo(Path.Combine(cache.Root, after.DiffId.Hex, "changed")).Length);
    }

    // Three files, the third changed from one layer to the next (and a fourth gone), each written from a file of its own.
    private async Task<(LayerCache Cache, LayerDescriptor Before, LayerDescriptor After, ulong LargeBefore)> RebuildAsync(
        StoreLease? lease, Action<LayerCache, LayerDescriptor, OciLayoutStore>? between = null)
    {
        var store = await OciLayoutStore.OpenAsync(Path.Combine(_root, "store"), CancellationToken.None);
        var cache = new LayerCache(Path.Combine(_root, "layers")) { Lease = lease };
        var sources = Directory.CreateDirectory(Path.Combine(_root, "sources")).FullName;
        var time = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        LayerEntry Source(string name, string text)
        {
            var host = Path.Combine(sources, name);
            System.IO.File.WriteAllText(host, text);
            return new LayerEntry(name, LayerEntryType.RegularFile) { Mode = (UnixFileMode)0b110_100_100, ModificationTime = time, Size = text.Length, Content = LayerContent.FromFile(host) };
        }
        string? Digest(string path) => System.IO.File.Exists(path) ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.IO.File.ReadAllBytes(path))) : null;
        using var first = await LayerReuse.OpenAsync(store, null, Digest, CancellationToken.None);
        var before = await cache.WriteAsync(store, [Source("large", new string('l', 100_000)), Source("small", "s"), Source("changed", "1"), Source("gone", "g")],
            Options, null, first, CancellationToken.None);
        var largeBefore = Builder.Posix.LibC.LStat(Path.Combine(cache.Root, before.DiffId.Hex, "large"))!.Value.Inode;
        between?.Invoke(cache, before, store);

        using var reuse = await LayerReuse.OpenAsync(store, first.Index(before), Digest, CancellationToken.None);
        var after = await cache.WriteAsync(store, [Source("large", new string('l', 100_000)), Source("small", "s"), Source("changed", "22")],
            Options, null, reuse, CancellationToken.None);
        Assert.Equal(2, reuse.ReusedEntries);
        var extracted = Path.Combine(cache.Root, after.DiffId.Hex);
        Assert.Equal(new[] { "changed", "large", "small" }, Directory.EnumerateFileSystemEntries(extracted).Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal));
        Assert.Equal("22", await System.IO.File.ReadAllTextAsync(Path.Combine(extracted, "changed")));
        Assert.Empty(Directory.EnumerateDirectories(cache.Root, "*.tmp"));
        return (cache, before, after, largeBefore);
    }

    private ulong Inode(LayerCache cache, LayerDescriptor layer, string name) =>
        Builder.Posix.LibC.LStat(Path.Combine(cache.Root, layer.DiffId.Hex, name))!.Value.Inode;

    [Fact]
    public async Task A_previous_extraction_no_one_else_holds_is_recycled_into_the_new_one_keeping_its_unchanged_files()
    {
        using var lease = StoreLeases.Acquire(_root);

        var (cache, before, after, largeBefore) = await RebuildAsync(lease);

        Assert.False(cache.Contains(before.DiffId)); // moved, not copied: extracted again from its blob should it be needed
        Assert.Equal(largeBefore, Inode(cache, after, "large"));
        var view = await cache.ViewAsync([new StoredLayer(await OciLayoutStore.OpenAsync(Path.Combine(_root, "store"), CancellationToken.None), before.Compressed, before.DiffId)], CancellationToken.None);
        Assert.Equal("1", view.ReadText("/changed"));
        Assert.Equal("g", view.ReadText("/gone"));
    }

    [Fact]
    public async Task A_previous_extraction_another_lease_holds_is_left_alone_and_linked_from()
    {
        using var lease = StoreLeases.Acquire(_root);
        using var other = StoreLeases.Acquire(_root);

        var (cache, before, after, largeBefore) = await RebuildAsync(lease, (_, layer, _) => other.Hold(LeaseKind.Layer, layer.DiffId.Hex));

        Assert.True(cache.Contains(before.DiffId));
        Assert.Equal(largeBefore, Inode(cache, before, "large"));
        Assert.Equal(largeBefore, Inode(cache, after, "large"));
        Assert.Equal("1", await System.IO.File.ReadAllTextAsync(Path.Combine(cache.Root, before.DiffId.Hex, "changed")));
    }

    [Fact]
    public async Task A_previous_extraction_this_cache_has_handed_out_is_not_recycled()
    {
        using var lease = StoreLeases.Acquire(_root);

        var (cache, before, _, _) = await RebuildAsync(lease, (cache, layer, store) =>
            cache.ViewAsync([new StoredLayer(store, layer.Compressed, layer.DiffId)], CancellationToken.None).GetAwaiter().GetResult());

        Assert.True(cache.Contains(before.DiffId));
        Assert.Equal("g", await System.IO.File.ReadAllTextAsync(Path.Combine(cache.Root, before.DiffId.Hex, "gone")));
    }
}
