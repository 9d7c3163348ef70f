using System.Text.Json;
using System.Text.Json.Serialization;

namespace Builder.Oci.Images;

/// <summary>An OCI image index or a Docker manifest list: manifests for several platforms (or tags, in index.json).</summary>
public sealed record ImageIndex
{
    [JsonPropertyName("schemaVersion")]
    public int SchemaVersion { get; init; } = 2;

    [JsonPropertyName("mediaType")]
    public string? MediaType { get; init; }

    [JsonPropertyName("artifactType")]
    public string? ArtifactType { get; init; }

    [JsonPropertyName("manifests")]
    public required IReadOnlyList<Descriptor> Manifests { get; init; }

    [JsonPropertyName("subject")]
    public Descriptor? Subject { get; init; }

    [JsonPropertyName("annotations")]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    // Settable because System.Text.Json cannot fill extension data through an init accessor.
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? ExtensionData { get; set; }

    public static ImageIndex Oci(IReadOnlyList<Descriptor> manifests) =>
        new() { MediaType = MediaTypes.OciIndex, Manifests = manifests };

    public static ImageIndex DockerManifestList(IReadOnlyList<Descriptor> manifests) =>
        new() { MediaType = MediaTypes.DockerManifestList, Manifests = manifests };
}
