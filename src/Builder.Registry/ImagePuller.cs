using Builder.Oci;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.References;
using Builder.Registry.Clients;

namespace Builder.Registry;

/// <summary>What a pull did: the digest the registry knows the image by, and the manifest now tagged locally.</summary>
public sealed record PullResult(ImageReference Reference, Digest RepositoryDigest, Descriptor Manifest, bool WasUpToDate);

/// <summary>
/// Pulls one platform's image into the local store: every blob is verified against its digest while it streams,
/// layers download in parallel and resume with Range after a dropped connection, and the manifest is committed and
/// tagged only after everything it references is in the store.
/// </summary>
public sealed class ImagePuller(RegistryClient registries, OciLayoutStore store)
{
    public async Task<PullResult> PullAsync(
        ImageReference reference, Platform? platform, IProgress<TransferEvent>? progress, CancellationToken cancellationToken)
    {
        var mirrors = registries.Options.Mirrors.GetValueOrDefault(reference.Registry) ?? [];
        foreach (var mirror in mirrors)
        {
            try
            {
                return await PullFromAsync(mirror, reference, platform, progress, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RegistryException or HttpRequestException)
            {
                // A mirror that lacks the image or is down is skipped, as docker skips it.
            }
        }
        return await PullFromAsync(reference.Registry, reference, platform, progress, cancellationToken).ConfigureAwait(false);
    }

    private async Task<PullResult> PullFromAsync(
        string registry, ImageReference reference, Platform? platform, IProgress<TransferEvent>? progress, CancellationToken cancellationToken)
    {
        var repository = await registries.RepositoryAsync(registry, reference.Repository, push: false, cancellationToken).ConfigureAwait(false);
        var name = reference.Digest?.ToString() ?? reference.Tag ?? ImageReference.DefaultTag;
        var top = await repository.Manifests.GetAsync(name, cancellationToken).ConfigureAwait(false)
            ?? throw new RegistryException(registry, reference.Repository, "pull", System.Net.HttpStatusCode.NotFound, $"manifest for {reference} not found");
        var manifest = top;
        if (MediaTypes.IsIndex(top.Descriptor.MediaType))
        {
            var index = OciJson.ParseIndex(top.Bytes, top.Descriptor.MediaType).Value;
            var wanted = platform ?? Platform.Host;
            var entry = StoredImage.SelectManifest(index, wanted)
                ?? throw new PlatformNotFoundException(wanted, index.Manifests.Select(m => m.Platform).OfType<Platform>().ToList());
            manifest = await repository.Manifests.GetAsync(entry.Digest.ToString(), cancellationToken).ConfigureAwait(false)
                ?? throw new RegistryException(registry, reference.Repository, "pull", System.Net.HttpStatusCode.NotFound, $"manifest {entry.Digest} listed in {reference} not found");
        }
        if (!MediaTypes.IsManifest(manifest.Descriptor.MediaType))
        {
            throw new RegistryException(registry, reference.Repository, "pull", null, $"{reference} is a {manifest.Descriptor.MediaType}, not an image");
        }
        var parsed = OciJson.ParseManifest(manifest.Bytes, manifest.Descriptor.MediaType).Value;
        var blobs = parsed.Layers.Prepend(parsed.Config).DistinctBy(b => b.Digest).ToList();
        await Parallel.ForEachAsync(
            blobs,
            new ParallelOptions { MaxDegreeOfParallelism = registries.Options.Parallelism, CancellationToken = cancellationToken },
            async (blob, ct) =>
            {
                var status = await FetchBlobAsync(repository, blob, ct).ConfigureAwait(false);
                progress?.Report(new TransferEvent(blob.Digest, status));
            })
            .ConfigureAwait(false);

        var previous = await store.GetAsync(reference, cancellationToken).ConfigureAwait(false);
        await store.IngestAsync(new MemoryStream(manifest.Bytes.ToArray()), manifest.Descriptor.MediaType, manifest.Descriptor.Digest, manifest.Descriptor.Size, cancellationToken).ConfigureAwait(false);
        await store.SetAsync(reference, manifest.Descriptor, cancellationToken).ConfigureAwait(false);
        return new PullResult(reference, top.Descriptor.Digest, manifest.Descriptor, previous?.Digest == manifest.Descriptor.Digest);
    }

    private async Task<TransferStatus> FetchBlobAsync(RegistryRepository repository, Descriptor blob, CancellationToken cancellationToken)
    {
        if (await store.InfoAsync(blob.Digest, cancellationToken).ConfigureAwait(false) is { } info && info.Size == blob.Size)
        {
            return TransferStatus.AlreadyExists;
        }
        var options = registries.Options;
        for (var restart = 0; ; restart++)
        {
            await using var writer = await store.OpenWriterAsync(blob.Digest.Algorithm, cancellationToken).ConfigureAwait(false);
            try
            {
                await DownloadAsync(repository, blob, writer, cancellationToken).ConfigureAwait(false);
            }
            catch (RangeNotSatisfiedException) when (restart < options.MaxRetries)
            {
                continue; // the registry cannot resume: start this blob again from its first byte
            }
            try
            {
                await writer.CommitAsync(blob.MediaType, blob.Digest, blob.Size, cancellationToken).ConfigureAwait(false);
            }
            catch (ContentVerificationException e)
            {
                throw new RegistryException(repository.Registry, repository.Name, $"pull blob {blob.Digest} from", null,
                    $"refused: the bytes received do not match the blob's digest ({e.Message})", e);
            }
            return TransferStatus.Downloaded;
        }
    }

    /// <summary>Streams the blob into <paramref name="writer"/>, resuming from what was written after a transient failure.</summary>
    private async Task DownloadAsync(RegistryRepository repository, Descriptor blob, IContentWriter writer, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        var failures = 0;
        while (writer.Written < blob.Size)
        {
            try
            {
                await using var body = await repository.Blobs.OpenReadAsync(blob.Digest, writer.Written, cancellationToken).ConfigureAwait(false);
                int read;
                while (writer.Written < blob.Size
                    && (read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, blob.Size - writer.Written)), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    await writer.Stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
                if (writer.Written < blob.Size)
                {
                    throw new IOException($"the registry ended blob {blob.Digest} after {writer.Written} of {blob.Size} bytes");
                }
            }
            catch (Exception e) when (e is not RangeNotSatisfiedException && RegistryRetry.IsTransient(e, cancellationToken) && failures++ < registries.Options.MaxRetries)
            {
                await Task.Delay(registries.Options.RetryDelay * (1 << Math.Min(failures, 5)), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
