using Builder.Oci;
using Builder.Oci.Content;
using Builder.Oci.References;
using Builder.Registry;

namespace Builder.Signing.Referrers;

/// <summary>Carries an image's referrers (signatures, SBOM, provenance) from the local store along when it is pushed.</summary>
public static class ReferrerPush
{
    /// <summary>
    /// Pushes every artifact that refers to <paramref name="target"/> in the store to <paramref name="destination"/>'s
    /// repository, each by its digest (for an index, its images' referrers too); call it after the image itself, so no
    /// referrer is pushed before its subject.
    /// </summary>
    public static async Task<IReadOnlyList<Descriptor>> PushAsync(
        RegistryClient registries, OciLayoutStore store, Descriptor target, ImageReference destination,
        IProgress<TransferEvent>? progress, CancellationToken cancellationToken)
    {
        var referrers = new List<Descriptor>(await new LayoutReferrerStore(store).GetReferrersAsync(target.Digest, cancellationToken).ConfigureAwait(false));
        var pusher = new ImagePusher(registries, store);
        var none = new Dictionary<Digest, IReadOnlyList<string>>();
        foreach (var referrer in referrers)
        {
            var byDigest = destination.WithoutTagOrDigest().WithDigest(referrer.Digest);
            await pusher.PushAsync(referrer, byDigest, none, progress, cancellationToken).ConfigureAwait(false);
        }
        // An index's images carry their own referrers (each platform's signature, SBOM, provenance).
        if (MediaTypes.IsIndex(target.MediaType))
        {
            foreach (var child in (await store.ReadIndexAsync(target, cancellationToken).ConfigureAwait(false)).Value.Manifests)
            {
                if (MediaTypes.IsManifest(child.MediaType))
                {
                    referrers.AddRange(await PushAsync(registries, store, child, destination, progress, cancellationToken).ConfigureAwait(false));
                }
            }
        }
        return referrers;
    }
}
