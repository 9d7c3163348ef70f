using Builder.Oci;

namespace Builder.Signing.Referrers;

/// <summary>
/// Where images and the artifacts that refer to them live: the local store (an OCI image layout) or a repository on a
/// registry. Signing, verifying and attaching work the same against either.
/// </summary>
public interface IReferrerStore
{
    /// <summary>What the store is, for messages: <c>the local store</c>, <c>127.0.0.1:5000/app</c>.</summary>
    string Name { get; }

    /// <summary>The manifest or index a tag or digest names, with its exact bytes; null when there is none.</summary>
    Task<SubjectManifest?> GetManifestAsync(string reference, CancellationToken cancellationToken);

    /// <summary>The artifacts whose subject is <paramref name="subject"/>, with their artifact types and annotations.</summary>
    Task<IReadOnlyList<Descriptor>> GetReferrersAsync(Digest subject, CancellationToken cancellationToken);

    /// <summary>A small blob (a signature, an SBOM) whole, verified against its descriptor's size and digest.</summary>
    Task<byte[]> ReadBlobAsync(Descriptor blob, CancellationToken cancellationToken);

    /// <summary>Stores the artifact's blobs and manifest and records it as a referrer of its subject.</summary>
    Task AttachAsync(Artifact artifact, CancellationToken cancellationToken);
}
