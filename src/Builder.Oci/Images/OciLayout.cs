using System.Text.Json;
using System.Text.Json.Serialization;

namespace Builder.Oci.Images;

/// <summary>The <c>oci-layout</c> file at the root of an OCI image layout.</summary>
public sealed record OciLayout([property: JsonPropertyName("imageLayoutVersion")] string ImageLayoutVersion)
{
    public const string FileName = "oci-layout";
    public const string CurrentVersion = "1.0.0";

    [JsonExtensionData]
    public IDictionary<string, JsonElement>? ExtensionData { get; init; }

    public static OciLayout Current { get; } = new(CurrentVersion);
}
