using Builder.Oci.Content;
using Builder.Oci.Images;

namespace Builder.Oci.Tests.Content;

/// <summary>The store under test, through the two roles every content store plays.</summary>
public sealed record ContentStoreUnderTest(IContentProvider Provider, IContentIngester Ingester);

/// <summary>
/// The contract of <see cref="IContentProvider"/> and <see cref="IContentIngester"/> (containerd's content store
/// roles). Every store implementation derives from this class and runs all of it.
/// </summary>
public abstract class ContentStoreConformanceTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected abstract Task<ContentStoreUnderTest> OpenStoreAsync();

    private static async Task<byte[]> ReadAllAsync(IContentProvider provider, Digest digest)
    {
        await using var stream = await provider.OpenReadAsync(digest, None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static async Task WriteInChunksAsync(IContentWriter writer, byte[] content, int chunk = 8192)
    {
        for (var offset = 0; offset < content.Length; offset += chunk)
        {
            await writer.Stream.WriteAsync(content.AsMemory(offset, Math.Min(chunk, content.Length - offset)));
            await Task.Yield();
        }
    }

    [Fact]
    public async Task Committed_content_reads_back_byte_for_byte_under_its_digest()
    {
        var store = await OpenStoreAsync();
        var content = TestContent.Bytes(1 << 20, seed: 10);

        Descriptor descriptor;
        await using (var writer = await store.Ingester.OpenWriterAsync(None))
        {
            await WriteInChunksAsync(writer, content);
            Assert.Equal(content.Length, writer.Written);
            descriptor = await writer.CommitAsync(MediaTypes.OciLayer, null, null, None);
        }

        Assert.Equal(new Descriptor(MediaTypes.OciLayer, Digest.Of(content), content.Length), descriptor);
        Assert.Equal(content, await ReadAllAsync(store.Provider, descriptor.Digest));
        Assert.True(await store.Provider.ExistsAsync(descriptor.Digest, None));
        Assert.Equal(content.Length, (await store.Provider.InfoAsync(descriptor.Digest, None))!.Size);
    }

    [Fact]
    public async Task Content_matching_the_expected_digest_and_size_is_committed()
    {
        var store = await OpenStoreAsync();
        var content = TestContent.Bytes(4096, seed: 11);

        await using var writer = await store.Ingester.OpenWriterAsync(None);
        await writer.Stream.WriteAsync(content);
        var descriptor = await writer.CommitAsync(MediaTypes.OciLayer, Digest.Of(content), content.Length, None);

        Assert.Equal(Digest.Of(content), descriptor.Digest);
    }

    [Fact]
    public async Task Content_is_invisible_until_committed()
    {
        var store = await OpenStoreAsync();
        var content = TestContent.Bytes(4096, seed: 12);

        await using var writer = await store.Ingester.OpenWriterAsync(None);
        await writer.Stream.WriteAsync(content);
        await writer.Stream.FlushAsync();

        Assert.False(await store.Provider.ExistsAsync(Digest.Of(content), None));
        await writer.CommitAsync(MediaTypes.OciLayer, null, null, None);
        Assert.True(await store.Provider.ExistsAsync(Digest.Of(content), None));
    }

    [Fact]
    public async Task A_wrong_digest_is_rejected_and_nothing_becomes_visible()
    {
        var store = await OpenStoreAsync();
        var content = TestContent.Bytes(4096, seed: 13);
        var claimed = Digest.Of(TestContent.Bytes(4096, seed: 14));

        await using var writer = await store.Ingester.OpenWriterAsync(None);
        await writer.Stream.WriteAsync(content);
        var error = await Assert.ThrowsAsync<ContentVerificationException>(() => writer.CommitAsync(MediaTypes.OciLayer, claimed, content.Length, None));

        Assert.Contains(claimed.ToString(), error.Message);
        Assert.Contains(Digest.Of(content).ToString(), error.Message);
        Assert.False(await store.Provider.ExistsAsync(Digest.Of(content), None));
        Assert.False(await store.Provider.ExistsAsync(claimed, None));
        await Assert.ThrowsAsync<ContentNotFoundException>(() => store.Provider.OpenReadAsync(Digest.Of(content), None));
    }

    [Fact]
    public async Task A_wrong_size_is_rejected_and_nothing_becomes_visible()
    {
        var store = await OpenStoreAsync();
        var content = TestContent.Bytes(4096, seed: 15);

        await using var writer = await store.Ingester.OpenWriterAsync(None);
        await writer.Stream.WriteAsync(content);
        var error = await Assert.ThrowsAsync<ContentVerificationException>(() => writer.CommitAsync(MediaTypes.OciLayer, Digest.Of(content), 4095, None));

        Assert.Contains("4095", error.Message);
        Assert.False(await store.Provider.ExistsAsync(Digest.Of(content), None));
    }

    [Fact]
    public async Task A_rejected_writer_cannot_be_committed_again()
    {
        var store = await OpenStoreAsync();

        await using var writer = await store.Ingester.OpenWriterAsync(None);
        await writer.Stream.WriteAsync(new byte[] { 1, 2, 3 });
        await Assert.ThrowsAsync<ContentVerificationException>(() => writer.CommitAsync(MediaTypes.OciLayer, null, 2, None));

        await Assert.ThrowsAsync<InvalidOperationException>(() => writer.CommitAsync(MediaTypes.OciLayer, null, null, None));
    }

    [Fact]
    public async Task Committing_content_that_is_already_there_is_a_no_op()
    {
        var store = await OpenStoreAsync();
        var content = TestContent.Bytes(4096, seed: 16);

        var first = await store.Ingester.WriteBlobAsync(MediaTypes.OciLayer, content, None);
        var second = await store.Ingester.WriteBlobAsync(MediaTypes.OciLayer, content, None);

        Assert.Equal(first, second);
        Assert.Equal(content, await ReadAllAsync(store.Provider, first.Digest));
    }

    [Fact]
    public async Task Many_concurrent_writers_of_one_blob_all_succeed_and_leave_it_intact()
    {
        var store = await OpenStoreAsync();
        var content = TestContent.Bytes(256 << 10, seed: 17);

        var descriptors = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            await using var writer = await store.Ingester.OpenWriterAsync(None);
            await WriteInChunksAsync(writer, content, chunk: 4096);
            return await writer.CommitAsync(MediaTypes.OciLayer, Digest.Of(content), content.Length, None);
        })));

        Assert.All(descriptors, d => Assert.Equal(Digest.Of(content), d.Digest));
        Assert.Equal(content, await ReadAllAsync(store.Provider, Digest.Of(content)));
    }

    [Fact]
    public async Task Disposing_an_uncommitted_writer_discards_what_was_written()
    {
        var store = await OpenStoreAsync();
        var content = TestContent.Bytes(4096, seed: 18);

        await using (var writer = await store.Ingester.OpenWriterAsync(None))
        {
            await writer.Stream.WriteAsync(content);
        }

        Assert.False(await store.Provider.ExistsAsync(Digest.Of(content), None));
        Assert.Equal(content.Length, (await store.Ingester.WriteBlobAsync(MediaTypes.OciLayer, content, None)).Size);
    }

    [Fact]
    public async Task A_missing_blob_is_not_found()
    {
        var store = await OpenStoreAsync();
        var missing = Digest.Of("missing"u8);

        var error = await Assert.ThrowsAsync<ContentNotFoundException>(() => store.Provider.OpenReadAsync(missing, None));

        Assert.Equal(missing, error.Digest);
        Assert.Null(await store.Provider.InfoAsync(missing, None));
        Assert.False(await store.Provider.ExistsAsync(missing, None));
    }

    [Fact]
    public async Task Sha512_content_is_addressed_by_its_sha512_digest()
    {
        var store = await OpenStoreAsync();
        var content = TestContent.Bytes(1000, seed: 19);
        var expected = Digest.Of(content, Digest.Sha512);

        var descriptor = await store.Ingester.IngestAsync(new MemoryStream(content), MediaTypes.OciLayer, expected, content.Length, None);

        Assert.Equal(expected, descriptor.Digest);
        Assert.Equal(content, await ReadAllAsync(store.Provider, expected));
        Assert.False(await store.Provider.ExistsAsync(Digest.Of(content), None));
    }

    [Fact]
    public async Task An_expected_digest_of_another_algorithm_than_the_writers_is_refused()
    {
        var store = await OpenStoreAsync();

        await using var writer = await store.Ingester.OpenWriterAsync(None);
        await writer.Stream.WriteAsync(new byte[] { 1 });

        await Assert.ThrowsAsync<ArgumentException>(() => writer.CommitAsync(MediaTypes.OciLayer, Digest.Of(new byte[] { 1 }, Digest.Sha512), null, None));
    }

    [Fact]
    public async Task Json_blobs_are_stored_with_their_exact_bytes_and_read_back_verified()
    {
        var store = await OpenStoreAsync();
        var config = OciJson.ToBlob(ImageConfig.Empty(Platform.Parse("linux/arm64")));
        var manifest = OciJson.ToBlob(ImageManifest.Oci(config.Descriptor, []));

        await store.Ingester.WriteBlobAsync(config, None);
        var descriptor = await store.Ingester.WriteBlobAsync(manifest, None);
        var read = await store.Provider.ReadManifestAsync(descriptor, None);

        Assert.Equal(manifest.Descriptor, read.Descriptor);
        Assert.True(manifest.Bytes.Span.SequenceEqual(read.Bytes.Span));
        Assert.Equal("arm64", (await store.Provider.ReadConfigAsync(read.Value.Config, None)).Value.Architecture);
    }

    [Fact]
    public async Task Reading_a_blob_against_a_descriptor_with_the_wrong_size_fails()
    {
        var store = await OpenStoreAsync();
        var descriptor = await store.Ingester.WriteBlobAsync(MediaTypes.OciConfig, "{}"u8.ToArray(), None);

        await Assert.ThrowsAsync<ContentVerificationException>(() => store.Provider.ReadBlobAsync(descriptor with { Size = 3 }, None));
    }
}
