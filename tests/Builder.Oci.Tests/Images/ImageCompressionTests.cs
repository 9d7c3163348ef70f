using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.Layers;

namespace Builder.Oci.Tests.Images;

public sealed class ImageCompressionTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("compression-tests-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>An image of one plain (uncompressed) layer holding one file, as a build writes it.</summary>
    private async Task<(OciLayoutStore Store, Blob<ImageManifest> Manifest, LayerDescriptor Layer)> PlainImageAsync()
    {
        var store = await OciLayoutStore.OpenAsync(Path.Combine(_root, "store"), CancellationToken.None);
        var content = new byte[300_000];
        new Random(7).NextBytes(content.AsSpan(0, 1000));
        var layer = await LayerWriter.WriteToStoreAsync(store,
            [new LayerEntry("app/data.bin", LayerEntryType.RegularFile) { Mode = (UnixFileMode)0b110_100_100, Size = content.Length, Content = LayerContent.FromBytes(content) }],
            new LayerWriterOptions { Compression = LayerCompression.None, SourceDateEpoch = DateTimeOffset.UnixEpoch }, CancellationToken.None);
        var config = ImageConfig.Empty(Platform.Parse("linux/amd64")) with { RootFs = RootFs.Layers([layer.DiffId]) };
        var manifest = await ImageWriter.WriteAsync(store, config, [layer.Compressed], null, CancellationToken.None);
        return (store, manifest, layer);
    }

    [Fact]
    public async Task Plain_layers_become_gzip_blobs_of_the_same_tar_under_the_same_config()
    {
        var (store, manifest, layer) = await PlainImageAsync();

        var compressed = await new ImageCompression(store).CompressAsync(manifest.Descriptor, CancellationToken.None);

        Assert.NotEqual(manifest.Digest, compressed.Digest);
        var image = await StoredImage.LoadAsync(store, compressed, null, CancellationToken.None);
        Assert.Equal(manifest.Value.Config, image.Manifest.Value.Config);
        var blob = Assert.Single(image.Manifest.Value.Layers);
        Assert.Equal(MediaTypes.OciLayerGzip, blob.MediaType);
        Assert.True(blob.Size < layer.Compressed.Size / 10);
        await using var tar = await image.Layers[0].OpenUncompressedAsync(CancellationToken.None);
        using var plain = new MemoryStream();
        await tar.CopyToAsync(plain);
        Assert.Equal(layer.DiffId, Digest.Of(plain.ToArray()));
    }

    [Fact]
    public async Task A_layer_is_compressed_once_and_the_same_manifest_comes_back()
    {
        var (store, manifest, _) = await PlainImageAsync();
        var compression = new ImageCompression(store);
        var first = await compression.CompressAsync(manifest.Descriptor, CancellationToken.None);
        var layerBlob = (await store.ReadManifestAsync(first, CancellationToken.None)).Value.Layers[0];
        var written = File.GetLastWriteTimeUtc(Path.Combine(store.BlobsDirectory, "sha256", layerBlob.Digest.Hex));

        var second = await compression.CompressAsync(manifest.Descriptor, CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(store.BlobsDirectory, "sha256", layerBlob.Digest.Hex)));
    }

    [Fact]
    public async Task A_compressed_image_is_given_back_as_it_is()
    {
        var (store, manifest, _) = await PlainImageAsync();
        var compressed = await new ImageCompression(store).CompressAsync(manifest.Descriptor, CancellationToken.None);

        var again = await new ImageCompression(store).CompressAsync(compressed, CancellationToken.None);

        Assert.Equal(compressed, again);
    }

    [Fact]
    public async Task A_pruned_compressed_blob_is_made_again()
    {
        var (store, manifest, _) = await PlainImageAsync();
        var compression = new ImageCompression(store);
        var first = await compression.CompressAsync(manifest.Descriptor, CancellationToken.None);
        var layerBlob = (await store.ReadManifestAsync(first, CancellationToken.None)).Value.Layers[0];
        File.Delete(Path.Combine(store.BlobsDirectory, "sha256", layerBlob.Digest.Hex));

        var second = await compression.CompressAsync(manifest.Descriptor, CancellationToken.None);

        Assert.Equal(first, second);
        Assert.True(await store.ExistsAsync(layerBlob.Digest, CancellationToken.None));
    }
}
