using System.Text.Json;
using System.Text.Json.Serialization;

namespace Builder.Oci.Images;

/// <summary>
/// An image configuration (OCI <c>application/vnd.oci.image.config.v1+json</c>, Docker's
/// <c>application/vnd.docker.container.image.v1+json</c>). Properties follow the order of the Go structs so that
/// what we write reads like what docker and BuildKit write; fields this model does not know (Docker's
/// <c>container_config</c>, <c>docker_version</c>, ...) are kept in <see cref="ExtensionData"/> and written back.
/// </summary>
public sealed record ImageConfig
{
    [JsonPropertyName("created")]
    public Timestamp? Created { get; init; }

    [JsonPropertyName("author")]
    public string? Author { get; init; }

    [JsonPropertyName("architecture")]
    public required string Architecture { get; init; }

    [JsonPropertyName("os")]
    public required string Os { get; init; }

    [JsonPropertyName("os.version")]
    public string? OsVersion { get; init; }

    [JsonPropertyName("os.features")]
    public IReadOnlyList<string>? OsFeatures { get; init; }

    [JsonPropertyName("variant")]
    public string? Variant { get; init; }

    [JsonPropertyName("config")]
    public ContainerConfig? Config { get; init; }

    [JsonPropertyName("rootfs")]
    public required RootFs RootFs { get; init; }

    [JsonPropertyName("history")]
    public IReadOnlyList<HistoryEntry>? History { get; init; }

    // Settable because System.Text.Json cannot fill extension data through an init accessor.
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>The platform this image runs on.</summary>
    [JsonIgnore]
    public Platform Platform => new(Os, Architecture) { Variant = Variant, OsVersion = OsVersion, OsFeatures = OsFeatures };

    /// <summary>An empty image for <paramref name="platform"/> (the config of <c>FROM scratch</c>).</summary>
    public static ImageConfig Empty(Platform platform) => new()
    {
        Architecture = platform.Architecture,
        Os = platform.Os,
        Variant = platform.Variant,
        OsVersion = platform.OsVersion,
        OsFeatures = platform.OsFeatures,
        RootFs = RootFs.Layers([]),
    };
}

/// <summary>
/// The execution parameters of a container (the <c>config</c> member). Docker's PascalCase names; Healthcheck,
/// OnBuild and Shell are Docker's extensions, which BuildKit writes into OCI configs too.
/// </summary>
public sealed record ContainerConfig
{
    [JsonPropertyName("User")]
    public string? User { get; init; }

    /// <summary>Ports such as <c>80/tcp</c>; written as a JSON object with empty values, keys sorted.</summary>
    [JsonPropertyName("ExposedPorts")]
    [JsonConverter(typeof(StringSetObjectConverter))]
    public IReadOnlyList<string>? ExposedPorts { get; init; }

    [JsonPropertyName("Env")]
    public IReadOnlyList<string>? Env { get; init; }

    [JsonPropertyName("Entrypoint")]
    public IReadOnlyList<string>? Entrypoint { get; init; }

    [JsonPropertyName("Cmd")]
    public IReadOnlyList<string>? Cmd { get; init; }

    [JsonPropertyName("Volumes")]
    [JsonConverter(typeof(StringSetObjectConverter))]
    public IReadOnlyList<string>? Volumes { get; init; }

    [JsonPropertyName("WorkingDir")]
    public string? WorkingDir { get; init; }

    [JsonPropertyName("Labels")]
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    [JsonPropertyName("StopSignal")]
    public string? StopSignal { get; init; }

    [JsonPropertyName("ArgsEscaped")]
    public bool? ArgsEscaped { get; init; }

    [JsonPropertyName("Healthcheck")]
    public HealthcheckConfig? Healthcheck { get; init; }

    [JsonPropertyName("OnBuild")]
    public IReadOnlyList<string>? OnBuild { get; init; }

    [JsonPropertyName("Shell")]
    public IReadOnlyList<string>? Shell { get; init; }

    // Settable because System.Text.Json cannot fill extension data through an init accessor.
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>Docker's HEALTHCHECK settings; durations are Go durations (nanoseconds) on the wire.</summary>
public sealed record HealthcheckConfig
{
    /// <summary><c>["NONE"]</c>, <c>["CMD", args...]</c> or <c>["CMD-SHELL", command]</c>.</summary>
    [JsonPropertyName("Test")]
    public IReadOnlyList<string>? Test { get; init; }

    [JsonPropertyName("Interval")]
    [JsonConverter(typeof(NanosecondsConverter))]
    public TimeSpan? Interval { get; init; }

    [JsonPropertyName("Timeout")]
    [JsonConverter(typeof(NanosecondsConverter))]
    public TimeSpan? Timeout { get; init; }

    [JsonPropertyName("StartPeriod")]
    [JsonConverter(typeof(NanosecondsConverter))]
    public TimeSpan? StartPeriod { get; init; }

    [JsonPropertyName("StartInterval")]
    [JsonConverter(typeof(NanosecondsConverter))]
    public TimeSpan? StartInterval { get; init; }

    [JsonPropertyName("Retries")]
    public int? Retries { get; init; }

    // Settable because System.Text.Json cannot fill extension data through an init accessor.
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>The layers of the image's root filesystem, by uncompressed digest (diff id), bottom first.</summary>
public sealed record RootFs
{
    public const string LayersType = "layers";

    [JsonPropertyName("type")]
    public required string Type { get; init; }

    [JsonPropertyName("diff_ids")]
    public required IReadOnlyList<Digest> DiffIds { get; init; }

    // Settable because System.Text.Json cannot fill extension data through an init accessor.
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? ExtensionData { get; set; }

    public static RootFs Layers(IReadOnlyList<Digest> diffIds) => new() { Type = LayersType, DiffIds = diffIds };
}

/// <summary>One step of the image's history; <see cref="EmptyLayer"/> steps added no layer.</summary>
public sealed record HistoryEntry
{
    [JsonPropertyName("created")]
    public Timestamp? Created { get; init; }

    [JsonPropertyName("created_by")]
    public string? CreatedBy { get; init; }

    [JsonPropertyName("author")]
    public string? Author { get; init; }

    [JsonPropertyName("comment")]
    public string? Comment { get; init; }

    /// <summary>Written only when true, as Go's <c>omitempty</c> does.</summary>
    [JsonPropertyName("empty_layer")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool EmptyLayer { get; init; }

    // Settable because System.Text.Json cannot fill extension data through an init accessor.
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? ExtensionData { get; set; }
}
