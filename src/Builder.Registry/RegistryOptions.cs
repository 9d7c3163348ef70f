namespace Builder.Registry;

/// <summary>How to reach registries: which may be spoken to without TLS checks, which mirrors to try, which CA to trust.</summary>
public sealed record RegistryOptions
{
    /// <summary>Registry hosts (host[:port]) that may use plain HTTP or an unverified certificate.</summary>
    public IReadOnlySet<string> InsecureRegistries { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Pull mirrors per registry host ("docker.io" → ["mirror.example:5000"]), tried before the registry itself.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Mirrors { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>A PEM file of extra CA certificates trusted beside the system store.</summary>
    public string? CaFile { get; init; }

    /// <summary>Blobs transferred at once per image (docker's default is 3 for pulls and 5 for pushes).</summary>
    public int Parallelism { get; init; } = 4;

    /// <summary>Always upload blobs in PATCH chunks, for registries that refuse monolithic uploads.</summary>
    public bool ChunkedUploads { get; init; }

    /// <summary>Chunk size for PATCH uploads.</summary>
    public int ChunkSize { get; init; } = 16 << 20;

    /// <summary>Retries after the first attempt of each registry operation.</summary>
    public int MaxRetries { get; init; } = 6;

    /// <summary>The first retry's delay; later ones grow exponentially, with jitter.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Options from the environment: <c>BUILDER_INSECURE_REGISTRIES</c> (comma-separated hosts),
    /// <c>BUILDER_REGISTRY_MIRRORS</c> (<c>registry=mirror[;mirror…]</c>, comma-separated) and <c>BUILDER_REGISTRY_CA_FILE</c>.
    /// </summary>
    public static RegistryOptions FromEnvironment(Func<string, string?> environment, IEnumerable<string>? insecureRegistries = null)
    {
        var insecure = new HashSet<string>(SplitList(environment("BUILDER_INSECURE_REGISTRIES")), StringComparer.OrdinalIgnoreCase);
        insecure.UnionWith(insecureRegistries ?? []);
        var mirrors = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in SplitList(environment("BUILDER_REGISTRY_MIRRORS")))
        {
            var equals = entry.IndexOf('=');
            if (equals <= 0)
            {
                throw new ArgumentException($"BUILDER_REGISTRY_MIRRORS: '{entry}' is not registry=mirror[;mirror…]");
            }
            mirrors[entry[..equals]] = entry[(equals + 1)..].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        return new RegistryOptions
        {
            InsecureRegistries = insecure,
            Mirrors = mirrors,
            CaFile = environment("BUILDER_REGISTRY_CA_FILE") is { Length: > 0 } ca ? ca : null,
        };
    }

    private static string[] SplitList(string? value) =>
        value?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
}
