using System.Net;
using System.Net.Http.Headers;
using Builder.Oci;
using Builder.Oci.Images;

namespace Builder.Registry.Clients;

/// <summary>The manifest half of the distribution API, plus the OCI 1.1 referrers API.</summary>
public interface IManifestClient
{
    /// <summary>The manifest or index a tag or digest names, verified against its digest; null when there is none.</summary>
    Task<RegistryManifest?> GetAsync(string reference, CancellationToken cancellationToken);

    /// <summary>Uploads a manifest or index under a tag or its digest. True when the registry handled its subject (OCI-Subject).</summary>
    Task<bool> PutAsync(string reference, string mediaType, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the manifest <paramref name="digest"/> names, and with it every tag that points at it. False when the
    /// registry has no such manifest.
    /// </summary>
    /// <exception cref="RegistryException">The registry refuses deletes (405: disabled in its configuration), among others.</exception>
    Task<bool> DeleteAsync(Digest digest, CancellationToken cancellationToken);

    /// <summary>The manifests that refer to <paramref name="subject"/>: the referrers API, or the fallback tag where the registry lacks it.</summary>
    Task<IReadOnlyList<Descriptor>> GetReferrersAsync(Digest subject, CancellationToken cancellationToken);

    /// <summary>Records <paramref name="referrer"/> in the fallback tag index (<c>sha256-HEX</c>) of <paramref name="subject"/>.</summary>
    Task AddToReferrersTagAsync(Digest subject, Descriptor referrer, CancellationToken cancellationToken);
}

/// <summary>A manifest or index as the registry sent it: its exact bytes and the descriptor of those bytes.</summary>
public sealed record RegistryManifest(Descriptor Descriptor, ReadOnlyMemory<byte> Bytes);

internal sealed class ManifestClient(RegistryRepository repository) : IManifestClient
{
    // The distribution spec lets registries refuse manifests over 4 MiB; nothing legitimate is larger.
    private const int MaxManifestSize = 4 << 20;

    private static readonly string[] Accepted =
        [MediaTypes.OciIndex, MediaTypes.OciManifest, MediaTypes.DockerManifestList, MediaTypes.DockerManifest];

    public Task<RegistryManifest?> GetAsync(string reference, CancellationToken cancellationToken) =>
        repository.RetryAsync(async ct =>
        {
            using var request = repository.Request(HttpMethod.Get, repository.Api($"manifests/{reference}"));
            foreach (var accepted in Accepted)
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accepted));
            }
            using var response = await repository.SendAsync(request, ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
            if (!response.IsSuccessStatusCode)
            {
                throw await repository.FailureAsync($"get manifest {reference} from", response, ct).ConfigureAwait(false);
            }
            var bytes = await repository.ReadSmallBodyAsync($"get manifest {reference} from", response, MaxManifestSize, ct).ConfigureAwait(false);
            var mediaType = MediaTypeOf(response.Content.Headers.ContentType?.MediaType, bytes);
            var expected = Digest.TryParse(reference, out var byDigest) ? byDigest
                : response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault(), out var header) ? header
                : (Digest?)null;
            var digest = Digest.Of(bytes, expected?.Algorithm ?? Digest.Sha256);
            if (expected is { } e && e != digest)
            {
                throw new RegistryException(repository.Registry, repository.Name, $"get manifest {reference} from", null,
                    $"digest mismatch: expected {e}, the bytes received hash to {digest}");
            }
            // Whatever the header said, the descriptor's digest is what the bytes hash to with sha256 unless asked otherwise.
            return new RegistryManifest(new Descriptor(mediaType, digest, bytes.Length), bytes);
        }, cancellationToken).AsTask();

    public Task<bool> PutAsync(string reference, string mediaType, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        repository.RetryAsync(async ct =>
        {
            using var request = repository.Request(HttpMethod.Put, repository.Api($"manifests/{reference}"));
            request.Content = new ByteArrayContent(bytes.ToArray());
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            using var response = await repository.SendAsync(request, ct).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Created)
            {
                throw await repository.FailureAsync($"put manifest {reference} to", response, ct).ConfigureAwait(false);
            }
            return response.Headers.Contains("OCI-Subject");
        }, cancellationToken).AsTask();

    public Task<bool> DeleteAsync(Digest digest, CancellationToken cancellationToken) =>
        repository.RetryAsync(async ct =>
        {
            // By digest only: the distribution spec has no way to delete a tag alone.
            using var request = repository.Request(HttpMethod.Delete, repository.Api($"manifests/{digest}"));
            using var response = await repository.SendAsync(request, ct).ConfigureAwait(false);
            return response.StatusCode switch
            {
                HttpStatusCode.Accepted or HttpStatusCode.OK or HttpStatusCode.NoContent => true,
                // A retry after an answer that was lost finds it gone, which is what was asked.
                HttpStatusCode.NotFound => false,
                HttpStatusCode.MethodNotAllowed => throw new RegistryException(repository.Registry, repository.Name, $"delete manifest {digest} from",
                    response.StatusCode, "the registry has deletes disabled (the CNCF registry: storage.delete.enabled: true)"),
                _ => throw await repository.FailureAsync($"delete manifest {digest} from", response, ct).ConfigureAwait(false),
            };
        }, cancellationToken).AsTask();

    public Task<IReadOnlyList<Descriptor>> GetReferrersAsync(Digest subject, CancellationToken cancellationToken) =>
        repository.RetryAsync(async ct =>
        {
            using var request = repository.Request(HttpMethod.Get, repository.Api($"referrers/{subject}"));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciIndex));
            using var response = await repository.SendAsync(request, ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                // No referrers API here: the fallback tag schema holds the list instead.
                var tagged = await GetAsync(ReferrersTag(subject), ct).ConfigureAwait(false);
                return tagged is null ? [] : ParseIndex(tagged.Bytes).Manifests;
            }
            if (!response.IsSuccessStatusCode)
            {
                throw await repository.FailureAsync($"list referrers of {subject} in", response, ct).ConfigureAwait(false);
            }
            return ParseIndex(await repository.ReadSmallBodyAsync($"list referrers of {subject} in", response, MaxManifestSize, ct).ConfigureAwait(false)).Manifests;
        }, cancellationToken).AsTask();

    public async Task AddToReferrersTagAsync(Digest subject, Descriptor referrer, CancellationToken cancellationToken)
    {
        var tag = ReferrersTag(subject);
        var existing = await GetAsync(tag, cancellationToken).ConfigureAwait(false);
        var manifests = existing is null ? [] : ParseIndex(existing.Bytes).Manifests.ToList();
        if (manifests.Any(m => m.Digest == referrer.Digest))
        {
            return;
        }
        manifests.Add(referrer);
        var index = OciJson.ToBlob(ImageIndex.Oci(manifests));
        await PutAsync(tag, MediaTypes.OciIndex, index.Bytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The fallback tag for a subject: its digest with ':' replaced, as the distribution spec defines.</summary>
    public static string ReferrersTag(Digest subject) => $"{subject.Algorithm}-{subject.Hex}";

    private static ImageIndex ParseIndex(ReadOnlyMemory<byte> bytes) => OciJson.ParseIndex(bytes).Value;

    // Some registries send a generic Content-Type; the manifest's own mediaType field says what it is.
    private static string MediaTypeOf(string? contentType, byte[] bytes)
    {
        if (contentType is not null && (MediaTypes.IsManifest(contentType) || MediaTypes.IsIndex(contentType)))
        {
            return contentType;
        }
        return OciJson.DetectMediaType(bytes)
            ?? throw new InvalidDataException("the registry sent a manifest whose media type cannot be told from its Content-Type or its content");
    }
}
