using System.Text.Json.Nodes;
using Builder.Oci;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.References;
using Builder.Signing.Cms;
using Builder.Signing.Referrers;

namespace Builder.Signing.Tests;

public sealed class ReferrerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("referrers-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task<(OciLayoutStore Store, SubjectManifest Image)> StoreWithImageAsync(string created = "2024-01-01T00:00:00Z")
    {
        var store = await OciLayoutStore.OpenAsync(_root, CancellationToken.None);
        var config = ImageConfig.Empty(new Platform("linux", "amd64")) with { Created = Timestamp.Parse(created) };
        var manifest = await ImageWriter.WriteAsync(store, config, [], null, CancellationToken.None);
        await store.SetAsync(ImageReference.Parse("app:1"), manifest.Descriptor, CancellationToken.None);
        return (store, new SubjectManifest(manifest.Descriptor, manifest.Bytes));
    }

    [Fact]
    public void An_artifact_has_the_empty_config_one_layer_its_type_and_the_image_as_subject()
    {
        var subject = new Descriptor(MediaTypes.OciManifest, Digest.Of("image"u8), 5) { Annotations = new Dictionary<string, string> { ["x"] = "y" } };

        var artifact = Artifact.Create(ArtifactTypes.Spdx, ArtifactTypes.Spdx, "{}"u8.ToArray(), subject, DateTimeOffset.Parse("2024-05-06T07:08:09Z"));

        var json = JsonNode.Parse(artifact.Manifest.Bytes.ToArray())!;
        Assert.Equal(MediaTypes.OciManifest, (string?)json["mediaType"]);
        Assert.Equal(ArtifactTypes.Spdx, (string?)json["artifactType"]);
        Assert.Equal(MediaTypes.OciEmpty, (string?)json["config"]!["mediaType"]);
        Assert.Equal("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", (string?)json["config"]!["digest"]);
        Assert.Equal(2, (int)json["config"]!["size"]!);
        Assert.Equal(ArtifactTypes.Spdx, (string?)json["layers"]![0]!["mediaType"]);
        Assert.Equal(subject.Digest.ToString(), (string?)json["subject"]!["digest"]);
        Assert.Null(json["subject"]!["annotations"]);
        Assert.Equal("2024-05-06T07:08:09Z", (string?)json["annotations"]![ArtifactTypes.CreatedAnnotation]);
        Assert.Equal(ArtifactTypes.Spdx, artifact.Referrer.ArtifactType);
        Assert.Equal("2024-05-06T07:08:09Z", artifact.Referrer.Annotations![ArtifactTypes.CreatedAnnotation]);
    }

    [Fact]
    public async Task A_signed_image_in_the_local_store_has_its_signature_listed_unnamed_in_index_json_and_it_verifies()
    {
        var (store, image) = await StoreWithImageAsync();
        using var pki = TestPki.Create(KeyKind.EcdsaP256);
        using var identity = SigningIdentity.FromPem(pki.WriteKey(), pki.WriteChain(), null);
        var referrers = new LayoutReferrerStore(store);

        var artifact = await ImageSignatures.SignAsync(referrers, image, identity, null, CancellationToken.None);
        var checks = await ImageSignatures.VerifyAsync(referrers, image, new TrustPolicy(pki.Roots(), null), CancellationToken.None);

        var check = Assert.Single(checks);
        Assert.Equal(artifact.Descriptor.Digest, check.Artifact);
        Assert.Null(check.Failure);
        Assert.Equal(TestPki.LeafSubject, check.Verified!.Signer);
        var index = await store.ReadLayoutIndexAsync(CancellationToken.None);
        var entry = Assert.Single(index.Manifests, d => d.Digest == artifact.Descriptor.Digest);
        Assert.Equal(ArtifactTypes.Signature, entry.ArtifactType);
        Assert.False(entry.Annotations!.ContainsKey(OciLayoutStore.RefNameAnnotation));
        Assert.Equal(["docker.io/library/app:1"], (await store.ListAsync(CancellationToken.None)).Select(t => t.Name));
    }

    [Fact]
    public async Task Referrers_survive_a_prune_and_only_those_of_the_asked_image_are_listed()
    {
        var (store, image) = await StoreWithImageAsync();
        var other = await ImageWriter.WriteAsync(store, ImageConfig.Empty(new Platform("linux", "arm64")), [], null, CancellationToken.None);
        var referrers = new LayoutReferrerStore(store);
        var sbom = Artifact.Create(ArtifactTypes.Spdx, ArtifactTypes.Spdx, "{\"spdxVersion\":\"SPDX-2.3\"}"u8.ToArray(), image.Descriptor, DateTimeOffset.UtcNow);
        var elsewhere = Artifact.Create(ArtifactTypes.Spdx, ArtifactTypes.Spdx, "{}"u8.ToArray(), other.Descriptor, DateTimeOffset.UtcNow);
        await referrers.AttachAsync(sbom, CancellationToken.None);
        await referrers.AttachAsync(sbom, CancellationToken.None);
        await referrers.AttachAsync(elsewhere, CancellationToken.None);

        await store.PruneAsync(new PruneOptions(), CancellationToken.None);
        var listed = await referrers.GetReferrersAsync(image.Descriptor.Digest, CancellationToken.None);

        var referrer = Assert.Single(listed);
        Assert.Equal(sbom.Descriptor.Digest, referrer.Digest);
        Assert.Equal(ArtifactTypes.Spdx, referrer.ArtifactType);
        var layer = OciJson.ParseManifest((await referrers.GetManifestAsync(referrer.Digest.ToString(), CancellationToken.None))!.Bytes).Value.Layers[0];
        Assert.Equal("{\"spdxVersion\":\"SPDX-2.3\"}"u8.ToArray(), await referrers.ReadBlobAsync(layer, CancellationToken.None));
    }

    [Fact]
    public async Task An_image_with_another_manifest_has_no_signature_even_when_the_old_one_is_signed()
    {
        var (store, image) = await StoreWithImageAsync();
        using var pki = TestPki.Create(KeyKind.Rsa);
        using var identity = SigningIdentity.FromPem(pki.WriteKey(), pki.WriteChain(), null);
        var referrers = new LayoutReferrerStore(store);
        await ImageSignatures.SignAsync(referrers, image, identity, null, CancellationToken.None);
        var rebuilt = await ImageWriter.WriteAsync(store, ImageConfig.Empty(new Platform("linux", "amd64")), [], null, CancellationToken.None);
        await store.SetAsync(ImageReference.Parse("app:1"), rebuilt.Descriptor, CancellationToken.None);

        var retagged = await referrers.GetManifestAsync("app:1", CancellationToken.None);
        var checks = await ImageSignatures.VerifyAsync(referrers, retagged!, new TrustPolicy(pki.Roots(), null), CancellationToken.None);

        Assert.Equal(rebuilt.Descriptor.Digest, retagged!.Descriptor.Digest);
        Assert.Empty(checks);
    }

    [Fact]
    public async Task A_signature_listed_for_an_image_it_is_not_about_is_rejected()
    {
        var (store, image) = await StoreWithImageAsync();
        using var pki = TestPki.Create(KeyKind.Rsa);
        using var identity = SigningIdentity.FromPem(pki.WriteKey(), pki.WriteChain(), null);
        var referrers = new LayoutReferrerStore(store);
        var artifact = await ImageSignatures.SignAsync(referrers, image, identity, null, CancellationToken.None);
        var other = Digest.Of("another manifest"u8);

        var error = await Assert.ThrowsAsync<SigningException>(() => ImageSignatures.ReadSignatureAsync(referrers, artifact.Referrer, other, CancellationToken.None));

        Assert.Equal($"signature {artifact.Descriptor.Digest} is about {image.Descriptor.Digest}, not {other}", error.Message);
    }

    [Fact]
    public async Task A_signature_checked_with_the_wrong_ca_is_reported_as_failed_with_its_reason()
    {
        var (store, image) = await StoreWithImageAsync();
        using var pki = TestPki.Create(KeyKind.EcdsaP256);
        using var other = TestPki.Create(KeyKind.EcdsaP256, rootName: "CN=Other Root");
        using var identity = SigningIdentity.FromPem(pki.WriteKey(), pki.WriteChain(), null);
        var referrers = new LayoutReferrerStore(store);
        await ImageSignatures.SignAsync(referrers, image, identity, null, CancellationToken.None);

        var check = Assert.Single(await ImageSignatures.VerifyAsync(referrers, image, new TrustPolicy(other.Roots(), null), CancellationToken.None));

        Assert.Null(check.Verified);
        Assert.Contains("does not chain to the given roots", check.Failure);
    }
}
