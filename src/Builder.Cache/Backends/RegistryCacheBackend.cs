using Builder.Oci;
using Builder.Registry;
using Builder.Registry.Clients;

namespace Builder.Cache.Backends;

/// <summary>
/// A cache in a registry repository (<c>type=registry,ref=REG/REPO</c>): entries are manifests under their tags,
/// blobs are the repository's blobs. Digests of manifests are checked by the manifest client; of blobs, by the caller.
/// </summary>
public sealed class RegistryCacheBackend : ICacheBackend
{
    private readonly RegistryRepository _repository;

    private RegistryCacheBackend(RegistryRepository repository, string display)
    {
        _repository = repository;
        Display = display;
    }

    public string Display { get; }

    /// <summary>The cache <paramref name="spec"/> names, asking for push rights when <paramref name="push"/> (<c>--cache-to</c>).</summary>
    public static async Task<RegistryCacheBackend> OpenAsync(RegistryClient client, CacheSpec spec, bool push, CancellationToken cancellationToken)
    {
        var reference = spec.Reference ?? throw new ArgumentException($"{spec.Display} is not a registry cache", nameof(spec));
        var repository = await client.RepositoryAsync(reference.Registry, reference.Repository, push, cancellationToken).ConfigureAwait(false);
        return new RegistryCacheBackend(repository, spec.Display);
    }

    // A missing tag, or a repository nobody pushed to (NAME_UNKNOWN, also a 404), is the manifest client's null.
    public Task<RegistryManifest?> GetEntryAsync(string tag, CancellationToken cancellationToken) =>
        _repository.Manifests.GetAsync(tag, cancellationToken);

    public async Task<bool> HasBlobAsync(Descriptor blob, CancellationToken cancellationToken) =>
        await _repository.Blobs.ExistsAsync(blob.Digest, cancellationToken).ConfigureAwait(false) is not null;

    public Task<Stream> OpenBlobAsync(Descriptor blob, CancellationToken cancellationToken) =>
        _repository.Blobs.OpenReadAsync(blob.Digest, 0, cancellationToken);

    public Task PushBlobAsync(Descriptor blob, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken) =>
        _repository.Blobs.PushAsync(blob, open, cancellationToken);

    public Task PutEntryAsync(string tag, ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken) =>
        _repository.Manifests.PutAsync(tag, MediaTypes.OciManifest, manifest, cancellationToken);

    public IAsyncEnumerable<string> ListTagsAsync(CancellationToken cancellationToken) =>
        _repository.Tags.ListAsync(cancellationToken);

    public Task<bool> DeleteEntryAsync(Digest manifest, CancellationToken cancellationToken) =>
        _repository.Manifests.DeleteAsync(manifest, cancellationToken);

    // The connection belongs to the RegistryClient, which outlives its repositories.
    public void Dispose()
    {
    }
}
