using System.Text.Json.Serialization;

namespace Builder.Oci.Images;

/// <summary>Source-generated JSON metadata for the image-spec documents; use through <see cref="OciJson"/>.</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(SortedStringMapConverter)])]
[JsonSerializable(typeof(ImageManifest))]
[JsonSerializable(typeof(ImageIndex))]
[JsonSerializable(typeof(ImageConfig))]
[JsonSerializable(typeof(OciLayout))]
[JsonSerializable(typeof(Descriptor))]
public sealed partial class OciJsonContext : JsonSerializerContext;
