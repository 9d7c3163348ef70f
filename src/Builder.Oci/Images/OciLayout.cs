using System.Text.Json;
using System.Text.Json.Serialization;

namespace Builder.Oci.Images;

/// <summary>The <c>oci-layout</c> file at the root of an OCI image layout.</summary>
public sealed record OciLayout
{
    public const string FileName = "oci-layout";
    public const string CurrentVersion = "1.0.0";

    [JsonPropertyName("imageLayoutVersion")]
    public required string ImageLayoutVersion { get; init; }

    // Settable because System.Text.Json cannot fill extension data through an init accessor.
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? ExtensionData { get; set; }

    public static OciLayout Current { get; } = new() { ImageLayoutVersion = CurrentVersion };
}
