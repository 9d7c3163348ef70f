using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace Builder.Oci.Tests.Images;

/// <summary>
/// The image-spec JSON schemas (draft-04) from TestData, with the $id aliases upstream's loader registers, plus the
/// checks upstream's Go validator makes beyond the schemas (see the TestData README).
/// </summary>
public sealed partial class OciSchemaValidator
{
    public const string Manifest = "image-manifest-schema.json";
    public const string Index = "image-index-schema.json";
    public const string Config = "config-schema.json";
    public const string Descriptor = "content-descriptor.json";
    public const string Layout = "image-layout-schema.json";

    public static string SchemaDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "TestData", "oci-image-spec-schema");

    public static OciSchemaValidator Instance { get; } = new();

    private readonly Dictionary<string, JsonSchema> _schemas = [];

    // upstream asserts format (date-time, uri); draft-04 only annotates it, which the README's count reflects.
    private readonly EvaluationOptions _assertFormat = new() { RequireFormatValidation = true, OutputFormat = OutputFormat.List };
    private readonly EvaluationOptions _annotateFormat = new() { RequireFormatValidation = false, OutputFormat = OutputFormat.List };

    private OciSchemaValidator()
    {
        // JsonSchema.Net has no draft-04 dialect; draft-06 semantics with $ref ignoring its siblings match these
        // schemas (they use no exclusiveMinimum, and every nested "id" sits beside a $ref or resolves the same).
        var draft04 = Dialect.Draft06.With([], new Uri("http://json-schema.org/draft-04/schema#"), refIgnoresSiblingKeywords: true, allowUnknownKeywords: true);
        var dialects = new DialectRegistry();
        dialects.Register(draft04);
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry(), DialectRegistry = dialects, Dialect = draft04 };

        // Each file is built once per URI it is known by; building registers it, so dependencies come first.
        Load("defs.json", "https://opencontainers.org/schema/defs.json", "https://opencontainers.org/schema/image/defs.json",
            "https://opencontainers.org/schema/image/descriptor/defs.json");
        Load("defs-descriptor.json", "https://opencontainers.org/schema/image/descriptor/mediaType",
            "https://opencontainers.org/schema/defs-descriptor.json", "https://opencontainers.org/schema/image/defs-descriptor.json");
        _schemas[Descriptor] = Load(Descriptor, "https://opencontainers.org/schema/descriptor", "https://opencontainers.org/schema/image/content-descriptor.json");
        _schemas[Manifest] = Load(Manifest, "https://opencontainers.org/schema/image/manifest");
        _schemas[Index] = Load(Index, "https://opencontainers.org/schema/image/index");
        _schemas[Config] = Load(Config, "https://opencontainers.org/schema/image/config");
        _schemas[Layout] = Load(Layout, "https://opencontainers.org/schema/image/layout");

        JsonSchema Load(string file, params string[] uris)
        {
            var text = File.ReadAllText(Path.Combine(SchemaDirectory, file));
            return uris.Select(uri => JsonSchema.FromText(text, options, new Uri(uri))).ToList()[0];
        }
    }

    /// <summary>The schema's verdict alone: null when valid, else the errors.</summary>
    public string? SchemaErrors(string schema, string json, bool assertFormat = true)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            return "not JSON: " + e.Message;
        }
        using (document)
        {
            var result = _schemas[schema].Evaluate(document.RootElement, assertFormat ? _assertFormat : _annotateFormat);
            if (result.IsValid)
            {
                return null;
            }
            var errors = (result.Details ?? []).Where(d => d.Errors is not null)
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
            return string.Join("; ", errors.DefaultIfEmpty("invalid"));
        }
    }

    /// <summary>Schema plus upstream's extra checks: null when valid, else why not.</summary>
    public string? Errors(string schema, string json) => SchemaErrors(schema, json) ?? BeyondSchemaErrors(schema, json);

    public string? BeyondSchemaErrors(string schema, string json)
    {
        var root = JsonNode.Parse(json)!;
        switch (schema)
        {
            case Config:
                foreach (var env in (root["config"]?["Env"] as JsonArray) ?? [])
                {
                    if (env?.GetValue<string>() is { } value && !EnvEntry().IsMatch(value))
                    {
                        return $"config.Env entry \"{value}\" is not NAME=value";
                    }
                }
                return null;
            case Descriptor:
                return DigestError(root["digest"]?.GetValue<string>()) ?? DataError(root);
            case Manifest:
                return DescriptorsOf(root, "config", "subject").Concat(ArrayOf(root, "layers")).Select(DataError).FirstOrDefault(e => e is not null);
            case Index:
                return DescriptorsOf(root, "subject").Concat(ArrayOf(root, "manifests")).Select(DataError).FirstOrDefault(e => e is not null);
            default:
                return null;
        }
    }

    /// <summary>go-digest's Validate: registered algorithms need lower-case hex of their length; others pass.</summary>
    private static string? DigestError(string? digest)
    {
        var colon = digest?.IndexOf(':') ?? -1;
        if (digest is null || colon < 0)
        {
            return null;
        }
        var length = digest[..colon] switch { "sha256" => 64, "sha384" => 96, "sha512" => 128, _ => 0 };
        var hex = digest[(colon + 1)..];
        return length == 0 || (hex.Length == length && hex.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f')))
            ? null
            : $"digest {digest} is not valid for its algorithm";
    }

    /// <summary>Go decodes "data" into []byte: it must be padded standard base64.</summary>
    private static string? DataError(JsonNode? descriptor)
    {
        if (descriptor?["data"] is JsonValue data && data.TryGetValue<string>(out var text))
        {
            var buffer = new byte[text.Length];
            return text.Length % 4 == 0 && Convert.TryFromBase64String(text, buffer, out _) ? null : $"data \"{text}\" is not padded base64";
        }
        return null;
    }

    private static IEnumerable<JsonNode?> DescriptorsOf(JsonNode root, params string[] names) => names.Select(n => root[n]);

    private static IEnumerable<JsonNode?> ArrayOf(JsonNode root, string name) => (root[name] as JsonArray) ?? [];

    [GeneratedRegex("^[^=]+=.*$", RegexOptions.Singleline)]
    private static partial Regex EnvEntry();
}
