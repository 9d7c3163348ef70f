using Builder.Oci;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.References;
using Builder.Registry.Clients;

namespace Builder.Registry;

/// <summary>What a push did: the manifest (or index) the destination tag now names.</summary>
public sealed record PushResult(ImageReference Destination, Descriptor Manifest);

/// <summary>
/// Pushes an image (or an index and its images) from the local store: each blob is checked with HEAD first, mounted
/// from another repository of the same registry when one is known to hold it, else uploaded; layers go in parallel;
/// manifests go last, so the registry never holds a manifest whose blobs are missing.
/// </summary>
public sealed class ImagePusher(RegistryClient registries, IContentProvider store)
{
    /// <param name="mountSources">Repositories of the destination's registry known to hold a blob, by digest.</param>
    public async Task<PushResult> PushAsync(
        Descriptor target, ImageReference destination, IReadOnlyDictionary<Digest, IReadOnlyList<string>> mountSources,
        IProgress<TransferEvent>? progress, CancellationToken cancellationToken)
    {
        var repository = await registries.RepositoryAsync(destination.Registry, destination.Repository, push: true, cancellationToken).ConfigureAwait(false);
        var session = new PushSession(repository, store, mountSources, progress, registries.Options.Parallelism);
        var reference = destination.Tag ?? destination.Digest?.ToString() ?? ImageReference.DefaultTag;
        await session.PushTreeAsync(target, reference, cancellationToken).ConfigureAwait(false);
        return new PushResult(destination, target);
    }

    private sealed class PushSession(
        RegistryRepository repository, IContentProvider store, IReadOnlyDictionary<Digest, IReadOnlyList<string>> mountSources,
        IProgress<TransferEvent>? progress, int parallelism)
    {
        public async Task PushTreeAsync(Descriptor target, string reference, CancellationToken cancellationToken)
        {
            var bytes = await store.ReadBlobAsync(target, cancellationToken).ConfigureAwait(false);
            Descriptor? subject;
            var referrer = target;
            if (MediaTypes.IsIndex(target.MediaType))
            {
                var index = OciJson.ParseIndex(bytes, target.MediaType).Value;
                // An index pulled for one platform lists manifests we never fetched; push the ones we hold.
                foreach (var child in index.Manifests)
                {
                    if (await store.ExistsAsync(child.Digest, cancellationToken).ConfigureAwait(false))
                    {
                        await PushTreeAsync(child, child.Digest.ToString(), cancellationToken).ConfigureAwait(false);
                    }
                }
                subject = index.Subject;
            }
            else
            {
                var manifest = OciJson.ParseManifest(bytes, target.MediaType).Value;
                await Parallel.ForEachAsync(
                    manifest.Layers.Append(manifest.Config).DistinctBy(b => b.Digest),
                    new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
                    async (blob, ct) =>
                    {
                        var done = await PushBlobAsync(blob, ct).ConfigureAwait(false);
                        progress?.Report(done);
                    })
                    .ConfigureAwait(false);
                subject = manifest.Subject;
                // The referrers index describes an artifact by its type and annotations, as the spec asks.
                referrer = target with { ArtifactType = manifest.ArtifactType ?? manifest.Config.MediaType, Annotations = manifest.Annotations };
            }
            var handledSubject = await repository.Manifests.PutAsync(reference, target.MediaType, bytes, cancellationToken).ConfigureAwait(false);
            if (subject is not null && !handledSubject)
            {
                // A registry without the referrers API: keep the subject's fallback tag index up to date instead.
                await repository.Manifests.AddToReferrersTagAsync(subject.Digest, referrer, cancellationToken).ConfigureAwait(false);
            }
        }

        private async Task<TransferEvent> PushBlobAsync(Descriptor blob, CancellationToken cancellationToken)
        {
            if (await repository.Blobs.ExistsAsync(blob.Digest, cancellationToken).ConfigureAwait(false) is not null)
            {
                return new TransferEvent(blob.Digest, TransferStatus.AlreadyExists);
            }
            foreach (var source in mountSources.GetValueOrDefault(blob.Digest) ?? [])
            {
                if (source != repository.Name && await repository.Blobs.TryMountAsync(blob.Digest, source, cancellationToken).ConfigureAwait(false))
                {
                    return new TransferEvent(blob.Digest, TransferStatus.Mounted, source);
                }
            }
            await repository.Blobs.PushAsync(blob, ct => store.OpenReadAsync(blob.Digest, ct), cancellationToken).ConfigureAwait(false);
            return new TransferEvent(blob.Digest, TransferStatus.Pushed);
        }
    }
}
