using System.Text.Json.Serialization;

namespace Builder.Oci.Archives;

/// <summary>One image in a docker-archive's manifest.json.</summary>
public sealed record DockerArchiveManifest(
    [property: JsonPropertyName("Config")] string Config,
    [property: JsonPropertyName("RepoTags")] IReadOnlyList<string>? RepoTags,
    [property: JsonPropertyName("Layers")] IReadOnlyList<string> Layers);

[JsonSerializable(typeof(DockerArchiveManifest[]))]
[JsonSerializable(typeof(Dictionary<string, Dictionary<string, string>>))]
internal sealed partial class ArchiveJson : JsonSerializerContext;
