using System.Security.Cryptography;
using Builder.Oci;
using Builder.Oci.Images;

namespace Builder.Cache.Tests.Backends;

/// <summary>
/// What every <see cref="ICacheBackend"/> must do, run against each kind of place (an OCI layout directory, a real
/// registry). Each test works in a place of its own, so the suite's tests can share one registry.
/// </summary>
public abstract class CacheBackendConformance
{
    private const string Prefix = "buildcache";

    /// <summary>A backend over a new, empty place; every call with the same <paramref name="place"/> opens that place again.</summary>
    protected abstract Task<ICacheBackend> OpenAsync(string place, bool push);

    /// <summary>How many requests mentioning <paramref name="fragment"/> reached the place; null where there are no requests.</summary>
    protected abstract Task<int?> RequestsMentioningAsync(string fragment);

    private static string NewPlace() => "cache-" + Guid.NewGuid().ToString("N")[..12];

    private static Digest NewKey() => Digest.Of(RandomNumberGenerator.GetBytes(32));

    /// <summary>Exports one step entry as the exporter does: its blobs (unless there), then its manifest. Returns the manifest's bytes.</summary>
    private static async Task<byte[]> WriteEntryAsync(ICacheBackend backend, string tag, byte[] layer)
    {
        var layerDescriptor = Descriptor.Of(MediaTypes.OciLayerGzip, layer);
        foreach (var (blob, bytes) in new[] { (CacheEntries.EmptyDescriptor, CacheEntries.EmptyJson.ToArray()), (layerDescriptor, layer) })
        {
            if (!await backend.HasBlobAsync(blob, CancellationToken.None))
            {
                await backend.PushBlobAsync(blob, _ => Task.FromResult<Stream>(new MemoryStream(bytes)), CancellationToken.None);
            }
        }
        var manifest = ImageManifest.Oci(CacheEntries.EmptyDescriptor, [layerDescriptor]) with
        {
            ArtifactType = CacheEntries.StepArtifactType,
            Annotations = new Dictionary<string, string> { [CacheEntries.KeyAnnotation] = tag, [CacheEntries.CreatedAnnotation] = "2024-01-01T00:00:00Z" },
        };
        var bytesOfManifest = OciJson.Serialize(manifest, OciJson.Manifest);
        await backend.PutEntryAsync(tag, bytesOfManifest, CancellationToken.None);
        return bytesOfManifest;
    }

    private static async Task<byte[]> ReadAllAsync(ICacheBackend backend, Descriptor blob)
    {
        await using var stream = await backend.OpenBlobAsync(blob, CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static async Task<List<string>> TagsAsync(ICacheBackend backend)
    {
        var tags = new List<string>();
        await foreach (var tag in backend.ListTagsAsync(CancellationToken.None))
        {
            tags.Add(tag);
        }
        return tags;
    }

    [Fact]
    public async Task A_missing_entry_is_null_after_one_request()
    {
        var place = NewPlace();
        using var writer = await OpenAsync(place, push: true);
        await WriteEntryAsync(writer, CacheEntries.StepTag(Prefix, NewKey()), [1, 2, 3]);
        var missing = CacheEntries.StepTag(Prefix, NewKey());

        Assert.Null(await writer.GetEntryAsync(missing, CancellationToken.None));

        var requests = await RequestsMentioningAsync(missing);
        Assert.True(requests is null or 1, $"{requests} requests to find a missing entry");
    }

    [Fact]
    public async Task An_entry_in_a_place_nobody_wrote_to_is_null()
    {
        using var backend = await OpenAsync(NewPlace(), push: true);

        Assert.Null(await backend.GetEntryAsync(CacheEntries.StepTag(Prefix, NewKey()), CancellationToken.None));
        Assert.Empty(await TagsAsync(backend));
    }

    [Fact]
    public async Task An_entry_reads_back_with_its_exact_bytes()
    {
        var place = NewPlace();
        var tag = CacheEntries.StepTag(Prefix, NewKey());
        byte[] written;
        using (var writer = await OpenAsync(place, push: true))
        {
            written = await WriteEntryAsync(writer, tag, RandomNumberGenerator.GetBytes(1000));
        }

        using var reader = await OpenAsync(place, push: false);
        var entry = await reader.GetEntryAsync(tag, CancellationToken.None);

        Assert.NotNull(entry);
        Assert.Equal(written, entry.Bytes.ToArray());
        Assert.Equal((MediaTypes.OciManifest, Digest.Of(written), written.LongLength), (entry.Descriptor.MediaType, entry.Descriptor.Digest, entry.Descriptor.Size));
    }

    [Fact]
    public async Task A_blob_is_there_once_pushed_and_reads_back_exactly()
    {
        using var backend = await OpenAsync(NewPlace(), push: true);
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        var blob = Descriptor.Of(MediaTypes.OciLayerGzip, bytes);

        Assert.False(await backend.HasBlobAsync(blob, CancellationToken.None));
        await backend.PushBlobAsync(blob, _ => Task.FromResult<Stream>(new MemoryStream(bytes)), CancellationToken.None);

        Assert.True(await backend.HasBlobAsync(blob, CancellationToken.None));
        Assert.Equal(bytes, await ReadAllAsync(backend, blob));
    }

    [Fact]
    public async Task A_blob_already_there_is_not_uploaded_again_by_an_exporter()
    {
        var place = NewPlace();
        var layer = RandomNumberGenerator.GetBytes(5000);
        var opened = 0;
        var blob = Descriptor.Of(MediaTypes.OciLayerGzip, layer);
        foreach (var _ in Enumerable.Range(0, 2))
        {
            // Two exports of the same layer, as two runners make them.
            using var backend = await OpenAsync(place, push: true);
            if (!await backend.HasBlobAsync(blob, CancellationToken.None))
            {
                await backend.PushBlobAsync(blob, _ => { opened++; return Task.FromResult<Stream>(new MemoryStream(layer)); }, CancellationToken.None);
            }
        }

        Assert.Equal(1, opened);
        // And a push of a blob that is there anyway (a race the check lost) is harmless.
        using var again = await OpenAsync(place, push: true);
        await again.PushBlobAsync(blob, _ => Task.FromResult<Stream>(new MemoryStream(layer)), CancellationToken.None);
        Assert.Equal(layer, await ReadAllAsync(again, blob));
    }

    [Fact]
    public async Task Entries_written_concurrently_all_survive_and_are_listed()
    {
        var place = NewPlace();
        var tags = Enumerable.Range(0, 6).Select(_ => CacheEntries.StepTag(Prefix, NewKey())).ToList();

        // Separate backends, as separate runners (or processes) would have.
        var written = await Task.WhenAll(tags.Select(async tag =>
        {
            using var backend = await OpenAsync(place, push: true);
            return await WriteEntryAsync(backend, tag, RandomNumberGenerator.GetBytes(2000));
        }));

        using var reader = await OpenAsync(place, push: false);
        for (var i = 0; i < tags.Count; i++)
        {
            Assert.Equal(written[i], (await reader.GetEntryAsync(tags[i], CancellationToken.None))?.Bytes.ToArray());
        }
        Assert.Equal(tags.Order(StringComparer.Ordinal), (await TagsAsync(reader)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Writing_an_entry_again_replaces_it()
    {
        using var backend = await OpenAsync(NewPlace(), push: true);
        var tag = CacheEntries.StepTag(Prefix, NewKey());
        await WriteEntryAsync(backend, tag, [1]);

        var second = await WriteEntryAsync(backend, tag, [2]);

        Assert.Equal(second, (await backend.GetEntryAsync(tag, CancellationToken.None))?.Bytes.ToArray());
        Assert.Equal([tag], await TagsAsync(backend));
    }

    [Fact]
    public async Task Deleting_an_entry_leaves_the_others()
    {
        using var backend = await OpenAsync(NewPlace(), push: true);
        var (kept, deleted) = (CacheEntries.StepTag(Prefix, NewKey()), CacheEntries.MountTag(Prefix, "apt"));
        var keptBytes = await WriteEntryAsync(backend, kept, [1, 1]);
        await WriteEntryAsync(backend, deleted, [2, 2]);
        var digest = (await backend.GetEntryAsync(deleted, CancellationToken.None))!.Descriptor.Digest;

        Assert.True(await backend.DeleteEntryAsync(digest, CancellationToken.None));

        Assert.Null(await backend.GetEntryAsync(deleted, CancellationToken.None));
        Assert.Equal(keptBytes, (await backend.GetEntryAsync(kept, CancellationToken.None))?.Bytes.ToArray());
        Assert.Equal([kept], await TagsAsync(backend));
        Assert.False(await backend.DeleteEntryAsync(digest, CancellationToken.None));
    }
}
