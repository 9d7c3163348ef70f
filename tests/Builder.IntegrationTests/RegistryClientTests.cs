using Builder.IntegrationTests.Fixtures;
using Builder.Oci;
using Builder.Oci.Archives;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.References;
using Builder.Registry;
using Builder.Registry.Credentials;

namespace Builder.IntegrationTests;

/// <summary>The registry client's paths the CLI does not choose by itself, against a real docker-registry.</summary>
public sealed class RegistryClientTests
{
    private sealed class NoCredentials : ICredentialProvider
    {
        public Task<RegistryCredential?> GetAsync(string registry, CancellationToken cancellationToken) => Task.FromResult<RegistryCredential?>(null);
    }

    private static async Task<(OciLayoutStore Store, Blob<ImageManifest> Manifest)> BusyboxImageAsync(TempDirectory temp)
    {
        var rootfs = await BaseRootfs.CreateBusyboxAsync(temp.Combine("rootfs"));
        var store = await OciLayoutStore.OpenAsync(temp.Combine("store"), CancellationToken.None);
        var manifest = await ImageImport.ImportRootfsAsync(store, rootfs, Platform.Host, DateTimeOffset.UnixEpoch, null, CancellationToken.None);
        return (store, manifest);
    }

    [Fact]
    public async Task Chunked_uploads_push_an_image_that_pulls_back_identical()
    {
        using var temp = new TempDirectory();
        await using var registry = await RegistryProcess.StartAsync();
        var (store, manifest) = await BusyboxImageAsync(temp);
        var destination = ImageReference.Parse($"{registry.Host}/chunked:1");
        // Chunks far smaller than the layer force many PATCH requests.
        using var client = new RegistryClient(new RegistryOptions { ChunkedUploads = true, ChunkSize = 256 << 10 }, new NoCredentials());

        await new ImagePusher(client, store).PushAsync(manifest.Descriptor, destination, new Dictionary<Digest, IReadOnlyList<string>>(), null, CancellationToken.None);
        var fresh = await OciLayoutStore.OpenAsync(temp.Combine("fresh"), CancellationToken.None);
        var pulled = await new ImagePuller(client, fresh).PullAsync(destination, null, null, CancellationToken.None);

        Assert.Equal(manifest.Digest, pulled.RepositoryDigest);
        Assert.True(registry.CountLogLines("PATCH", "/v2/chunked/blobs/uploads/") > 2);
        var layer = manifest.Value.Layers.Single();
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(store.BlobsDirectory, "sha256", layer.Digest.Hex)),
            await File.ReadAllBytesAsync(Path.Combine(fresh.BlobsDirectory, "sha256", layer.Digest.Hex)));
    }

    [Fact]
    public async Task Artifacts_are_listed_as_referrers_through_the_fallback_tag_when_the_registry_lacks_the_api()
    {
        using var temp = new TempDirectory();
        await using var registry = await RegistryProcess.StartAsync();
        var (store, manifest) = await BusyboxImageAsync(temp);
        var image = ImageReference.Parse($"{registry.Host}/signed:1");
        using var client = new RegistryClient(new RegistryOptions(), new NoCredentials());
        var none = new Dictionary<Digest, IReadOnlyList<string>>();
        await new ImagePusher(client, store).PushAsync(manifest.Descriptor, image, none, null, CancellationToken.None);
        var signature = await store.WriteBlobAsync("application/vnd.example.signature", "signed"u8.ToArray(), CancellationToken.None);
        var empty = await store.WriteBlobAsync(MediaTypes.OciEmpty, "{}"u8.ToArray(), CancellationToken.None);
        var artifact = OciJson.ToBlob(ImageManifest.Oci(empty, [signature]) with
        {
            ArtifactType = "application/vnd.example.signature",
            Subject = manifest.Descriptor,
        });
        await store.WriteBlobAsync(artifact, CancellationToken.None);

        await new ImagePusher(client, store).PushAsync(artifact.Descriptor, image.WithTag("sig"), none, null, CancellationToken.None);
        var repository = await client.RepositoryAsync(registry.Host, "signed", push: false, CancellationToken.None);
        var referrers = await repository.Manifests.GetReferrersAsync(manifest.Digest, CancellationToken.None);

        var referrer = Assert.Single(referrers);
        Assert.Equal(artifact.Digest, referrer.Digest);
        Assert.Equal("application/vnd.example.signature", referrer.ArtifactType);
        Assert.NotNull(await repository.Manifests.GetAsync($"sha256-{manifest.Digest.Hex}", CancellationToken.None));
    }

    [Fact]
    public async Task A_manifest_fetched_by_digest_is_verified_and_kept_byte_for_byte()
    {
        using var temp = new TempDirectory();
        await using var registry = await RegistryProcess.StartAsync();
        var (store, manifest) = await BusyboxImageAsync(temp);
        var reference = ImageReference.Parse($"{registry.Host}/bytes:1");
        using var client = new RegistryClient(new RegistryOptions(), new NoCredentials());
        await new ImagePusher(client, store).PushAsync(manifest.Descriptor, reference, new Dictionary<Digest, IReadOnlyList<string>>(), null, CancellationToken.None);

        var repository = await client.RepositoryAsync(registry.Host, "bytes", push: false, CancellationToken.None);
        var fetched = await repository.Manifests.GetAsync(manifest.Digest.ToString(), CancellationToken.None);

        Assert.NotNull(fetched);
        Assert.Equal(manifest.Bytes.ToArray(), fetched.Bytes.ToArray());
        Assert.Equal(MediaTypes.OciManifest, fetched.Descriptor.MediaType);
        Assert.Null(await repository.Manifests.GetAsync("missing", CancellationToken.None));
    }
}
