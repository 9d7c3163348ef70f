using System.Text.Json;
using System.Text.Json.Serialization;

namespace Builder.Oci.Images;

/// <summary>
/// An image manifest: an OCI image manifest or a Docker schema 2 manifest, which share one shape and differ in
/// media types. Fields this model does not know are kept in <see cref="ExtensionData"/>.
/// </summary>
public sealed record ImageManifest
{
    [JsonPropertyName("schemaVersion")]
    public int SchemaVersion { get; init; } = 2;

    /// <summary>Optional for OCI (but written by us), required for Docker.</summary>
    [JsonPropertyName("mediaType")]
    public string? MediaType { get; init; }

    [JsonPropertyName("artifactType")]
    public string? ArtifactType { get; init; }

    [JsonPropertyName("config")]
    public required Descriptor Config { get; init; }

    [JsonPropertyName("layers")]
    public required IReadOnlyList<Descriptor> Layers { get; init; }

    [JsonPropertyName("subject")]
    public Descriptor? Subject { get; init; }

    [JsonPropertyName("annotations")]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    // Settable because System.Text.Json cannot fill extension data through an init accessor.
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>An OCI manifest for a config and its layers.</summary>
    public static ImageManifest Oci(Descriptor config, IReadOnlyList<Descriptor> layers) =>
        new() { MediaType = MediaTypes.OciManifest, Config = config, Layers = layers };

    /// <summary>A Docker schema 2 manifest for a config and its layers.</summary>
    public static ImageManifest Docker(Descriptor config, IReadOnlyList<Descriptor> layers) =>
        new() { MediaType = MediaTypes.DockerManifest, Config = config, Layers = layers };
}
