using Builder.Oci;
using Builder.Oci.Content;
using Builder.Oci.References;
using Builder.Registry;
using Builder.Registry.Clients;

namespace Builder.Signing.Referrers;

/// <summary>
/// Referrers in a registry repository: listed through the OCI 1.1 referrers API, or its fallback tag
/// (<c>sha256-HEX</c>) where the registry lacks it; attached with the same push as images, subject and all.
/// </summary>
public sealed class RegistryReferrerStore(RegistryClient registries, ImageReference repository) : IReferrerStore
{
    // Signatures are kilobytes and SBOMs megabytes; anything far bigger is not a document to hold in memory.
    private const long MaxBlobSize = ContentStoreExtensions.MaxInMemoryBlobSize;

    public string Name => repository.WithoutTagOrDigest().ToString();

    public async Task<SubjectManifest?> GetManifestAsync(string reference, CancellationToken cancellationToken)
    {
        var manifests = await ManifestsAsync(cancellationToken).ConfigureAwait(false);
        return await manifests.GetAsync(reference, cancellationToken).ConfigureAwait(false) is { } found
            ? new SubjectManifest(found.Descriptor, found.Bytes)
            : null;
    }

    public async Task<IReadOnlyList<Descriptor>> GetReferrersAsync(Digest subject, CancellationToken cancellationToken)
    {
        var manifests = await ManifestsAsync(cancellationToken).ConfigureAwait(false);
        return await manifests.GetReferrersAsync(subject, cancellationToken).ConfigureAwait(false);
    }

    public async Task<byte[]> ReadBlobAsync(Descriptor blob, CancellationToken cancellationToken)
    {
        if (blob.Size is < 0 or > MaxBlobSize)
        {
            throw new SigningException($"blob {blob.Digest} in {Name} is {blob.Size} bytes, too large for a signature or document");
        }
        var client = await registries.RepositoryAsync(repository.Registry, repository.Repository, push: false, cancellationToken).ConfigureAwait(false);
        try
        {
            return await client.Blobs.ReadVerifiedAsync(blob, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException)
        {
            throw new SigningException($"blob {blob.Digest} from {Name} does not match its digest and size");
        }
    }

    public Task AttachAsync(Artifact artifact, CancellationToken cancellationToken)
    {
        // The image pusher already knows blobs-before-manifest, OCI-Subject and the fallback tag: give it the artifact.
        var content = new MemoryContent([.. artifact.Blobs, new ArtifactBlob(artifact.Descriptor, artifact.Manifest.Bytes)]);
        var destination = repository.WithoutTagOrDigest().WithDigest(artifact.Descriptor.Digest);
        return new ImagePusher(registries, content).PushAsync(
            artifact.Descriptor, destination, new Dictionary<Digest, IReadOnlyList<string>>(), null, cancellationToken);
    }

    private async Task<IManifestClient> ManifestsAsync(CancellationToken cancellationToken) =>
        (await registries.RepositoryAsync(repository.Registry, repository.Repository, push: false, cancellationToken).ConfigureAwait(false)).Manifests;

    /// <summary>A few blobs held in memory, read as a content store.</summary>
    private sealed class MemoryContent(IReadOnlyList<ArtifactBlob> blobs) : IContentProvider
    {
        public Task<Stream> OpenReadAsync(Digest digest, CancellationToken cancellationToken) =>
            Task.FromResult<Stream>(new MemoryStream(Find(digest)?.Content.ToArray() ?? throw new ContentNotFoundException(digest), writable: false));

        public Task<ContentInfo?> InfoAsync(Digest digest, CancellationToken cancellationToken) =>
            Task.FromResult(Find(digest) is { } blob ? new ContentInfo(digest, blob.Descriptor.Size, DateTimeOffset.UtcNow) : null);

        public Task<bool> ExistsAsync(Digest digest, CancellationToken cancellationToken) => Task.FromResult(Find(digest) is not null);

        private ArtifactBlob? Find(Digest digest) => blobs.FirstOrDefault(b => b.Descriptor.Digest == digest);
    }
}
