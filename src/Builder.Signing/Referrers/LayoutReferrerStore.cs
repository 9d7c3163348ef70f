using Builder.Oci;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.References;

namespace Builder.Signing.Referrers;

/// <summary>
/// Referrers in the local store, held as OCI image layouts hold them: the artifact manifests are listed in
/// index.json without a name, and a manifest refers to the image its <c>subject</c> names.
/// </summary>
public sealed class LayoutReferrerStore(OciLayoutStore store) : IReferrerStore
{
    public string Name => "the local store";

    public async Task<SubjectManifest?> GetManifestAsync(string reference, CancellationToken cancellationToken)
    {
        Descriptor? descriptor;
        if (Digest.TryParse(reference, out var digest))
        {
            descriptor = await store.InfoAsync(digest, cancellationToken).ConfigureAwait(false) is { } info
                ? new Descriptor(MediaTypes.OciManifest, digest, info.Size)
                : null;
        }
        else
        {
            descriptor = ImageReference.TryParse(reference, out var name) ? await store.GetAsync(name, cancellationToken).ConfigureAwait(false) : null;
        }
        if (descriptor is null)
        {
            return null;
        }
        var bytes = await store.ReadBlobAsync(descriptor, cancellationToken).ConfigureAwait(false);
        // A blob found by digest alone says what it is only in its own mediaType (or shape).
        var mediaType = OciJson.DetectMediaType(bytes) ?? descriptor.MediaType;
        return new SubjectManifest(descriptor with { MediaType = mediaType }, bytes);
    }

    public async Task<IReadOnlyList<Descriptor>> GetReferrersAsync(Digest subject, CancellationToken cancellationToken)
    {
        var index = await store.ReadLayoutIndexAsync(cancellationToken).ConfigureAwait(false);
        var referrers = new List<Descriptor>();
        foreach (var entry in index.Manifests.Where(IsUnnamedManifest).DistinctBy(d => d.Digest))
        {
            if (!await store.ExistsAsync(entry.Digest, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }
            var manifest = (await store.ReadManifestAsync(entry, cancellationToken).ConfigureAwait(false)).Value;
            if (manifest.Subject?.Digest == subject)
            {
                referrers.Add(entry with { ArtifactType = manifest.ArtifactType ?? manifest.Config.MediaType, Annotations = manifest.Annotations });
            }
        }
        return referrers;
    }

    public Task<byte[]> ReadBlobAsync(Descriptor blob, CancellationToken cancellationToken) => store.ReadBlobAsync(blob, cancellationToken);

    public async Task AttachAsync(Artifact artifact, CancellationToken cancellationToken)
    {
        foreach (var blob in artifact.Blobs)
        {
            await store.WriteBlobAsync(blob.Descriptor.MediaType, blob.Content, cancellationToken).ConfigureAwait(false);
        }
        await store.WriteBlobAsync(artifact.Manifest, cancellationToken).ConfigureAwait(false);
        await store.AddReferrerAsync(artifact.Referrer, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsUnnamedManifest(Descriptor entry) =>
        MediaTypes.IsManifest(entry.MediaType)
        && !(entry.Annotations?.ContainsKey(OciLayoutStore.RefNameAnnotation) ?? false);
}
