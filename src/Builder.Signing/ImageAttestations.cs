using Builder.Oci;
using Builder.Oci.Images;
using Builder.Signing.Provenance;
using Builder.Signing.Referrers;
using Builder.Signing.Sbom;

namespace Builder.Signing;

/// <summary>The SBOM and provenance of a built image, attached to it as referrers.</summary>
public static class ImageAttestations
{
    /// <summary>Scans the image's layers for packages and attaches the SPDX document.</summary>
    public static async Task<(Artifact Artifact, int Packages)> AttachSbomAsync(
        IReferrerStore store, IImage image, string name, DateTimeOffset created, string toolVersion, CancellationToken cancellationToken)
    {
        var (document, packages) = await SpdxDocument.CreateAsync(
            new ImageSubject(name, image.Descriptor.Digest), image.Layers, created, toolVersion, cancellationToken).ConfigureAwait(false);
        var artifact = Artifact.Create(ArtifactTypes.Spdx, ArtifactTypes.Spdx, document, image.Descriptor, created);
        await store.AttachAsync(artifact, cancellationToken).ConfigureAwait(false);
        return (artifact, packages);
    }

    /// <summary>Attaches the build's in-toto provenance statement; the predicate type is in an annotation, as BuildKit has it.</summary>
    public static async Task<Artifact> AttachProvenanceAsync(
        IReferrerStore store, Descriptor subject, BuildProvenance provenance, DateTimeOffset created, CancellationToken cancellationToken)
    {
        var artifact = Artifact.Create(ArtifactTypes.InToto, ArtifactTypes.InToto, ProvenanceStatement.Write(provenance), subject, created,
            new Dictionary<string, string> { [ArtifactTypes.PredicateTypeAnnotation] = ProvenanceStatement.PredicateType });
        await store.AttachAsync(artifact, cancellationToken).ConfigureAwait(false);
        return artifact;
    }
}
