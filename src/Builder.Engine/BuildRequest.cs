using Builder.Cache;
using Builder.Engine.Outputs;
using Builder.Oci;
using Builder.Oci.References;
using Builder.Sandbox;

namespace Builder.Engine;

/// <summary>Everything <c>builder build</c> was asked to do.</summary>
public sealed record BuildRequest
{
    public required string ContextDirectory { get; init; }

    /// <summary>The Dockerfile; default <c>Dockerfile</c> in the context.</summary>
    public string? DockerfilePath { get; init; }

    public IReadOnlyList<ImageReference> Tags { get; init; } = [];

    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();

    public string? Target { get; init; }

    public bool NoCache { get; init; }

    /// <summary>Always pull base images, even when the store has them.</summary>
    public bool Pull { get; init; }

    public SandboxNetwork Network { get; init; } = SandboxNetwork.Host;

    public IReadOnlyDictionary<string, BuildSecret> Secrets { get; init; } = new Dictionary<string, BuildSecret>();

    public Platform Platform { get; init; } = Platform.Host;

    /// <summary>
    /// <c>--platform a,b</c>: with more than one, each is built (stages and steps that do not depend on the target platform
    /// once, as in BuildKit) and the images are combined into one OCI image index. Empty or one: <see cref="Platform"/>.
    /// </summary>
    public IReadOnlyList<Platform> Platforms { get; init; } = [];

    /// <summary>Under <see cref="NoCache"/>, steps cached since this time (by this build, for another platform) are still used.</summary>
    public DateTimeOffset? NoCacheSince { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<BuildOutput> Outputs { get; init; } = [];

    /// <summary>Clamps file times and the created dates (SOURCE_DATE_EPOCH, from the environment or a build arg).</summary>
    public DateTimeOffset? SourceDateEpoch { get; init; }

    /// <summary>
    /// Run BuildKit's build checks first, as <c>docker build</c> does: findings are warnings (progress events and
    /// <see cref="BuildResult.CheckWarnings"/>), or fail the build under <c>check=error=true</c>. Off where the caller
    /// lints the Dockerfile itself (MSBuild with BuilderLint).
    /// </summary>
    public bool RunChecks { get; init; } = true;

    /// <summary><c>--build-context</c>: what <c>FROM NAME</c> and <c>COPY --from=NAME</c> read instead, by name.</summary>
    public IReadOnlyDictionary<string, NamedContext> NamedContexts { get; init; } = new Dictionary<string, NamedContext>();

    /// <summary>Caches to import steps from (<c>--cache-from</c>), in order: the first that has a step wins.</summary>
    public IReadOnlyList<CacheSpec> CacheFrom { get; init; } = [];

    /// <summary>Caches to export the built steps to (<c>--cache-to</c>), after a successful build.</summary>
    public IReadOnlyList<CacheSpec> CacheTo { get; init; } = [];
}

/// <summary>A <c>--secret id=…,src=…|env=…</c>: read when a RUN mounts it, never stored.</summary>
public sealed record BuildSecret(string Id, string? FilePath, string? EnvironmentVariable)
{
    public byte[] Read() =>
        FilePath is not null ? File.ReadAllBytes(FilePath)
        : EnvironmentVariable is not null && Environment.GetEnvironmentVariable(EnvironmentVariable) is { } value ? System.Text.Encoding.UTF8.GetBytes(value)
        : throw new BuildException($"secret {Id}: {(FilePath is null ? $"environment variable {EnvironmentVariable} is not set" : "no source")}");
}

/// <summary>What a build made: the image manifest, its ID, and build args no ARG consumed.</summary>
public sealed record BuildResult(Descriptor Manifest, Digest ImageId, IReadOnlyList<string> UnusedBuildArgs)
{
    /// <summary>The sha256 of the Dockerfile's bytes as the build read them (for provenance).</summary>
    public Digest? DockerfileDigest { get; init; }

    /// <summary>The images the build read (FROM, COPY --from, RUN --mount from=), each with the digest its name resolved to.</summary>
    public IReadOnlyList<ResolvedImage> ResolvedImages { get; init; } = [];

    /// <summary>What BuildKit's build checks found (warnings: the build went on), as BuildKit prints them.</summary>
    public IReadOnlyList<string> CheckWarnings { get; init; } = [];

    /// <summary>The steps found in an imported cache (--cache-from), in the order they were built.</summary>
    public IReadOnlyList<BuildCacheHit> CacheHits { get; init; } = [];

    /// <summary>A multi-platform build's images, one per platform, in the index's order (<see cref="Manifest"/> is the index); empty otherwise.</summary>
    public IReadOnlyList<PlatformImage> Platforms { get; init; } = [];
}

/// <summary>One platform's image of a multi-platform build.</summary>
public sealed record PlatformImage(Platform Platform, BuildResult Result);

/// <summary>A step whose layer came from an imported cache: its progress name, its cache key, and <c>registry</c> or <c>local</c>.</summary>
public sealed record BuildCacheHit(string Step, Digest Key, string Source);

/// <summary>An image reference a build used, the digest it resolved to (what the store or registry named) and the platform taken.</summary>
public sealed record ResolvedImage(ImageReference Reference, Digest Digest, Platform Platform);
