using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Builder.Oci.Images;

/// <summary>
/// Reading and writing the image-spec documents: compact JSON like Go's encoding/json, nulls omitted, maps with
/// sorted keys, and no needless escaping (<c>+json</c> stays <c>+json</c>).
/// </summary>
public static class OciJson
{
    // Immutable once built: the context freezes its options on first use.
    private static readonly OciJsonContext Context = new(new JsonSerializerOptions
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new SortedStringMapConverter() },
    });

    public static JsonTypeInfo<ImageManifest> Manifest => Context.ImageManifest;

    public static JsonTypeInfo<ImageIndex> Index => Context.ImageIndex;

    public static JsonTypeInfo<ImageConfig> Config => Context.ImageConfig;

    public static JsonTypeInfo<OciLayout> Layout => Context.OciLayout;

    public static JsonTypeInfo<Descriptor> Descriptor => Context.Descriptor;

    public static byte[] Serialize<T>(T value, JsonTypeInfo<T> typeInfo) => JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);

    public static T Deserialize<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> typeInfo) =>
        JsonSerializer.Deserialize(json, typeInfo) ?? throw new JsonException($"expected a {typeof(T).Name}, found null");

    /// <summary>A manifest as a blob: its exact bytes and their descriptor (media type from the manifest, else OCI).</summary>
    public static Blob<ImageManifest> ToBlob(ImageManifest manifest) =>
        Blob.Create(manifest.MediaType ?? MediaTypes.OciManifest, manifest, Manifest);

    public static Blob<ImageIndex> ToBlob(ImageIndex index) =>
        Blob.Create(index.MediaType ?? MediaTypes.OciIndex, index, Index);

    public static Blob<ImageConfig> ToBlob(ImageConfig config, string mediaType = MediaTypes.OciConfig) =>
        Blob.Create(mediaType, config, Config);

    /// <summary>
    /// Parses a manifest from the exact bytes a registry or store gave; the descriptor is computed from those bytes,
    /// never from a re-serialisation. Its media type is the document's own, else <paramref name="mediaType"/>.
    /// </summary>
    public static Blob<ImageManifest> ParseManifest(ReadOnlyMemory<byte> bytes, string? mediaType = null)
    {
        var manifest = Deserialize(bytes.Span, Manifest);
        return Blob.FromBytes(manifest.MediaType ?? mediaType ?? MediaTypes.OciManifest, manifest, bytes);
    }

    public static Blob<ImageIndex> ParseIndex(ReadOnlyMemory<byte> bytes, string? mediaType = null)
    {
        var index = Deserialize(bytes.Span, Index);
        return Blob.FromBytes(index.MediaType ?? mediaType ?? MediaTypes.OciIndex, index, bytes);
    }

    public static Blob<ImageConfig> ParseConfig(ReadOnlyMemory<byte> bytes, string mediaType = MediaTypes.OciConfig) =>
        Blob.FromBytes(mediaType, Deserialize(bytes.Span, Config), bytes);

    /// <summary>
    /// The media type a manifest or index document declares; without a <c>mediaType</c> member (allowed by OCI),
    /// an index has <c>manifests</c> and a manifest has <c>config</c>. Null when it is neither.
    /// </summary>
    public static string? DetectMediaType(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            if (root.TryGetProperty("mediaType", out var declared) && declared.ValueKind == JsonValueKind.String)
            {
                return declared.GetString();
            }
            return root.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex
                : root.TryGetProperty("config", out _) ? MediaTypes.OciManifest
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
