using Builder.Oci;
using Builder.Registry.Clients;

namespace Builder.Cache;

/// <summary>
/// Where cache entries are kept, reduced to what the cache needs (one backend per kind of place: a registry
/// repository, an OCI layout directory). Backends move bytes; verifying them against their digests is the caller's.
/// </summary>
public interface ICacheBackend : IDisposable
{
    /// <summary>How messages name this cache.</summary>
    string Display { get; }

    /// <summary>The entry manifest under <paramref name="tag"/>, or null when there is none: one request.</summary>
    Task<RegistryManifest?> GetEntryAsync(string tag, CancellationToken cancellationToken);

    /// <summary>Whether the blob is there already (so an export does not upload it again).</summary>
    Task<bool> HasBlobAsync(Descriptor blob, CancellationToken cancellationToken);

    Task<Stream> OpenBlobAsync(Descriptor blob, CancellationToken cancellationToken);

    Task PushBlobAsync(Descriptor blob, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken);

    /// <summary>Writes one entry under its tag; no other entry is read or rewritten.</summary>
    Task PutEntryAsync(string tag, ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken);

    /// <summary>Every tag of the place (entries are those with the spec's prefix).</summary>
    IAsyncEnumerable<string> ListTagsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Deletes an entry manifest (and with it its tag); false when it was already gone. Blobs stay: another writer
    /// may be about to write an entry that uses them (a registry's garbage collection finds those no entry uses).
    /// </summary>
    Task<bool> DeleteEntryAsync(Digest manifest, CancellationToken cancellationToken);
}
