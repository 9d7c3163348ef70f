using System.Collections.Concurrent;
using System.Formats.Tar;
using System.Text;
using Builder.IntegrationTests.Fixtures;
using Builder.Oci;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Registry.Clients;

namespace Builder.Cache.Tests;

/// <summary>
/// CacheExporter and CacheImporter over an in-memory backend: what one writes the other reads back, verified; what a
/// hostile or broken cache returns is a warning and a miss, and nothing unverified reaches the store.
/// </summary>
public sealed class CacheTransferTests : IDisposable
{
    private static readonly Digest Key = Digest.Of("step"u8);
    private static readonly CacheSpec Spec = CacheSpecParser.ParseTo("type=registry,ref=r.example/cache:ci");

    private readonly TempDirectory _temp = new("builder-cache-transfer");
    private readonly List<string> _warnings = [];

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task An_exported_plain_layer_is_imported_gzip_compressed_with_its_diffID_into_another_store()
    {
        var (source, layer, diffId) = await StoreWithLayerAsync("a");
        var backend = new MemoryBackend();
        var written = await new CacheExporter(source, _warnings.Add).ExportAsync(backend, Spec, [new CacheStep(Key, layer, diffId, "RUN make")], default);
        Assert.Equal(1, written);
        Assert.Contains(CacheEntries.StepTag("ci", Key), backend.Entries.Keys);
        Assert.Contains(CacheEntries.EmptyDescriptor.Digest, backend.Blobs.Keys);

        var target = await OpenStoreAsync("b");
        var hit = await Importer(target, backend).FindAsync(Key, default);
        Assert.NotNull(hit);
        Assert.Equal(MediaTypes.OciLayerGzip, hit.Layer!.MediaType);
        Assert.Equal(diffId, hit.DiffId);
        Assert.Equal("registry", hit.Source);
        Assert.Equal(hit.Layer.Size, hit.BytesFetched);
        Assert.True(await target.ExistsAsync(hit.Layer.Digest, default));
        Assert.Empty(_warnings);

        // A blob already in the store is not fetched again.
        var again = await Importer(target, backend).FindAsync(Key, default);
        Assert.Equal(0, again!.BytesFetched);
        Assert.Equal(1, backend.BlobReads);
    }

    [Fact]
    public async Task Export_uploads_a_blob_the_cache_has_once_and_compresses_a_layer_once()
    {
        var (store, layer, diffId) = await StoreWithLayerAsync("a");
        var backend = new MemoryBackend();
        var exporter = new CacheExporter(store, _warnings.Add);
        await exporter.ExportAsync(backend, Spec, [new CacheStep(Key, layer, diffId, "RUN a"), new CacheStep(Digest.Of("other"u8), layer, diffId, "RUN b")], default);
        await exporter.ExportAsync(backend, Spec, [new CacheStep(Key, layer, diffId, "RUN a")], default);
        Assert.Equal(2, backend.BlobPushes); // the empty config and the gzip layer
        Assert.Equal(2, backend.Entries.Count);
    }

    [Fact]
    public async Task A_step_without_a_layer_is_an_entry_whose_layer_is_the_empty_descriptor()
    {
        var store = await OpenStoreAsync("a");
        var backend = new MemoryBackend();
        await new CacheExporter(store, _warnings.Add).ExportAsync(backend, Spec, [new CacheStep(Key, null, null, "COPY nothing")], default);
        var hit = await Importer(await OpenStoreAsync("b"), backend).FindAsync(Key, default);
        Assert.NotNull(hit);
        Assert.Null(hit.Layer);
        Assert.Null(hit.DiffId);
        Assert.Equal(0, hit.BytesFetched);
    }

    [Fact]
    public async Task A_missing_entry_is_a_quiet_miss_and_a_cache_that_had_none_is_a_warning_after_the_build()
    {
        var importer = Importer(await OpenStoreAsync("b"), new MemoryBackend());
        importer.WarnUnused();
        Assert.Empty(_warnings); // nothing was asked

        Assert.Null(await importer.FindAsync(Key, default));
        Assert.Empty(_warnings);
        importer.WarnUnused();
        Assert.Equal("cache r.example/cache: none of the steps was in it (the cache is missing, or built from other inputs)", Assert.Single(_warnings));
    }

    [Fact]
    public async Task A_cache_that_gave_a_step_is_not_warned_about()
    {
        var importer = Importer(await OpenStoreAsync("b"), await ExportedAsync());
        Assert.NotNull(await importer.FindAsync(Key, default));
        Assert.Null(await importer.FindAsync(Digest.Of("another"u8), default));
        importer.WarnUnused();
        Assert.Empty(_warnings);
    }

    [Fact]
    public async Task A_corrupted_blob_is_a_warning_and_a_miss_and_never_enters_the_store()
    {
        var backend = await ExportedAsync();
        var entry = Manifest(backend);
        var blob = backend.Blobs[entry.Layers[0].Digest];
        blob[blob.Length / 2] ^= 0xFF;

        var target = await OpenStoreAsync("b");
        Assert.Null(await Importer(target, backend).FindAsync(Key, default));
        Assert.False(await target.ExistsAsync(entry.Layers[0].Digest, default));
        Assert.Contains(_warnings, w => w.Contains("cache r.example/cache") && w.Contains(Key.ToString()));
    }

    [Fact]
    public async Task A_blob_that_does_not_uncompress_to_the_claimed_diffID_is_a_miss()
    {
        var backend = await ExportedAsync();
        Rewrite(backend, m => m with
        {
            Layers = [m.Layers[0] with { Annotations = new Dictionary<string, string> { [CacheEntries.DiffIdAnnotation] = Digest.Of("lie"u8).ToString() } }],
        });
        Assert.Null(await Importer(await OpenStoreAsync("b"), backend).FindAsync(Key, default));
        Assert.Contains(_warnings, w => w.Contains("not the diffID"));
    }

    [Fact]
    public async Task A_blob_larger_than_its_descriptor_is_not_read_past_its_size()
    {
        var backend = await ExportedAsync();
        var digest = Manifest(backend).Layers[0].Digest;
        backend.Blobs[digest] = [.. backend.Blobs[digest], .. new byte[1 << 20]];
        Assert.Null(await Importer(await OpenStoreAsync("b"), backend).FindAsync(Key, default));
        Assert.Contains(_warnings, w => w.Contains("larger than"));
    }

    public static TheoryData<string> BadEntries => ["artifactType", "config", "key", "layers", "mediaType", "diffid", "json"];

    [Theory]
    [MemberData(nameof(BadEntries))]
    public async Task An_entry_that_is_not_exactly_a_step_entry_is_a_warning_and_a_miss(string flaw)
    {
        var backend = await ExportedAsync();
        if (flaw == "json")
        {
            backend.Entries[CacheEntries.StepTag("ci", Key)] = "{\"schemaVersion\":"u8.ToArray();
        }
        else
        {
            Rewrite(backend, m => flaw switch
            {
                "artifactType" => m with { ArtifactType = "application/vnd.other" },
                "config" => m with { Config = Descriptor.Of(MediaTypes.OciConfig, "{}"u8) },
                "key" => m with { Annotations = new Dictionary<string, string> { [CacheEntries.KeyAnnotation] = Digest.Of("x"u8).ToString() } },
                "layers" => m with { Layers = [m.Layers[0], m.Layers[0]] },
                "mediaType" => m with { Layers = [m.Layers[0] with { MediaType = MediaTypes.OciLayer }] },
                _ => m with { Layers = [m.Layers[0] with { Annotations = null }] },
            });
        }
        var target = await OpenStoreAsync("b");
        Assert.Null(await Importer(target, backend).FindAsync(Key, default));
        Assert.Single(_warnings);
        Assert.Equal(0, backend.BlobReads);
    }

    [Fact]
    public async Task An_unreachable_cache_is_warned_about_once_and_the_next_cache_is_asked()
    {
        var broken = new MemoryBackend { Failure = new HttpRequestException("connection refused") };
        var good = await ExportedAsync();
        var importer = new CacheImporter([new ImportCache(Spec, broken), new ImportCache(CacheSpecParser.ParseFrom("type=local,src=/tmp/c") with { Tag = "ci" }, good)],
            await OpenStoreAsync("b"), _warnings.Add);
        var hit = await importer.FindAsync(Key, default);
        Assert.Equal("local", hit!.Source);
        Assert.Null(await importer.FindAsync(Digest.Of("another"u8), default));
        Assert.Equal(1, broken.EntryReads);
        Assert.Equal("cache r.example/cache: connection refused; building without it", Assert.Single(_warnings));
    }

    [Fact]
    public async Task A_failing_export_is_a_warning()
    {
        var (store, layer, diffId) = await StoreWithLayerAsync("a");
        var backend = new MemoryBackend { Failure = new HttpRequestException("403 Forbidden") };
        Assert.Equal(0, await new CacheExporter(store, _warnings.Add).ExportAsync(backend, Spec, [new CacheStep(Key, layer, diffId, "RUN a")], default));
        Assert.Contains("403 Forbidden", Assert.Single(_warnings));
    }

    private CacheImporter Importer(OciLayoutStore store, ICacheBackend backend) => new([new ImportCache(Spec, backend)], store, _warnings.Add);

    private async Task<MemoryBackend> ExportedAsync()
    {
        var (source, layer, diffId) = await StoreWithLayerAsync("a");
        var backend = new MemoryBackend();
        await new CacheExporter(source, _warnings.Add).ExportAsync(backend, Spec, [new CacheStep(Key, layer, diffId, "RUN make")], default);
        return backend;
    }

    private static ImageManifest Manifest(MemoryBackend backend) => OciJson.ParseManifest(backend.Entries[CacheEntries.StepTag("ci", Key)]).Value;

    private static void Rewrite(MemoryBackend backend, Func<ImageManifest, ImageManifest> change) =>
        backend.Entries[CacheEntries.StepTag("ci", Key)] = OciJson.Serialize(change(Manifest(backend)), OciJson.Manifest);

    private Task<OciLayoutStore> OpenStoreAsync(string name) => OciLayoutStore.OpenAsync(_temp.Combine(name), default);

    /// <summary>A store holding one plain (uncompressed) layer, as builds write them.</summary>
    private async Task<(OciLayoutStore, Descriptor, Digest)> StoreWithLayerAsync(string name)
    {
        var store = await OpenStoreAsync(name);
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "hello.txt") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes("hello " + Guid.NewGuid())) };
            writer.WriteEntry(entry);
        }
        var layer = await store.WriteBlobAsync(MediaTypes.OciLayer, tar.ToArray(), default);
        return (store, layer, layer.Digest);
    }

    /// <summary>A cache in memory that counts its requests, and fails every one with <see cref="Failure"/> when set.</summary>
    internal sealed class MemoryBackend : ICacheBackend
    {
        public ConcurrentDictionary<string, byte[]> Entries { get; } = new();

        public ConcurrentDictionary<Digest, byte[]> Blobs { get; } = new();

        public Exception? Failure { get; init; }

        public int EntryReads { get; private set; }

        public int BlobReads { get; private set; }

        public int BlobPushes { get; private set; }

        public string Display => "r.example/cache";

        public Task<RegistryManifest?> GetEntryAsync(string tag, CancellationToken cancellationToken)
        {
            EntryReads++;
            Fail();
            return Task.FromResult(Entries.TryGetValue(tag, out var bytes)
                ? new RegistryManifest(Descriptor.Of(MediaTypes.OciManifest, bytes), bytes)
                : null);
        }

        public Task<bool> HasBlobAsync(Descriptor blob, CancellationToken cancellationToken)
        {
            Fail();
            return Task.FromResult(Blobs.ContainsKey(blob.Digest));
        }

        public Task<Stream> OpenBlobAsync(Descriptor blob, CancellationToken cancellationToken)
        {
            BlobReads++;
            Fail();
            return Task.FromResult<Stream>(new MemoryStream(Blobs[blob.Digest]));
        }

        public async Task PushBlobAsync(Descriptor blob, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
        {
            BlobPushes++;
            Fail();
            await using var stream = await open(cancellationToken);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, cancellationToken);
            Assert.Equal(blob.Digest, Digest.Of(copy.ToArray()));
            Blobs[blob.Digest] = copy.ToArray();
        }

        public Task PutEntryAsync(string tag, ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken)
        {
            Fail();
            Entries[tag] = manifest.ToArray();
            return Task.CompletedTask;
        }

        public IAsyncEnumerable<string> ListTagsAsync(CancellationToken cancellationToken) => Entries.Keys.ToAsyncEnumerable();

        public Task<bool> DeleteEntryAsync(Digest manifest, CancellationToken cancellationToken) => throw new NotSupportedException();

        public void Dispose()
        {
        }

        private void Fail()
        {
            if (Failure is not null)
            {
                throw Failure;
            }
        }
    }
}
