using System.Globalization;
using Builder.Oci;
using Builder.Oci.Images;

namespace Builder.Signing.Referrers;

/// <summary>
/// An OCI 1.1 artifact ready to attach to an image: a manifest with the empty config, one layer holding the document,
/// and the image as its <c>subject</c> (the image-spec's artifact guidance), plus the blobs the manifest lists.
/// </summary>
public sealed record Artifact(Blob<ImageManifest> Manifest, IReadOnlyList<ArtifactBlob> Blobs)
{
    /// <summary>The empty JSON object <c>{}</c> the image-spec prescribes as an artifact's config.</summary>
    public static ArtifactBlob EmptyConfig { get; } = new(
        Descriptor.Of(MediaTypes.OciEmpty, "{}"u8) with { Data = "e30=" }, "{}"u8.ToArray());

    public Descriptor Descriptor => Manifest.Descriptor;

    public string ArtifactType => Manifest.Value.ArtifactType!;

    /// <summary>
    /// The descriptor a referrers list shows for this artifact: the distribution spec copies the artifact type and
    /// the manifest's annotations into it, so clients can choose referrers without fetching each one.
    /// </summary>
    public Descriptor Referrer => Descriptor with { ArtifactType = ArtifactType, Annotations = Manifest.Value.Annotations };

    /// <summary>An artifact of <paramref name="artifactType"/> whose one layer is <paramref name="content"/>, referring to <paramref name="subject"/>.</summary>
    public static Artifact Create(
        string artifactType, string layerMediaType, ReadOnlyMemory<byte> content, Descriptor subject, DateTimeOffset created,
        IReadOnlyDictionary<string, string>? annotations = null)
    {
        var layer = new ArtifactBlob(Descriptor.Of(layerMediaType, content.Span), content);
        var allAnnotations = new Dictionary<string, string>(annotations ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [ArtifactTypes.CreatedAnnotation] = created.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        };
        var manifest = ImageManifest.Oci(EmptyConfig.Descriptor, [layer.Descriptor]) with
        {
            ArtifactType = artifactType,
            // Only what identifies the subject: its tags, platform and annotations are not part of the reference.
            Subject = new Descriptor(subject.MediaType, subject.Digest, subject.Size),
            Annotations = allAnnotations,
        };
        return new Artifact(OciJson.ToBlob(manifest), [EmptyConfig, layer]);
    }
}

/// <summary>A blob an artifact lists, with its content (artifacts are small documents, held in memory).</summary>
public sealed record ArtifactBlob(Descriptor Descriptor, ReadOnlyMemory<byte> Content);

/// <summary>A manifest (or index) as its store holds it: its exact bytes and their descriptor.</summary>
public sealed record SubjectManifest(Descriptor Descriptor, ReadOnlyMemory<byte> Bytes);
