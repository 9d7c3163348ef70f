using Builder.Oci.References;

namespace Builder.Cache;

/// <summary>What to export with <c>--cache-to</c>: the steps of the final image (min) or of every stage built (max).</summary>
public enum CacheExportMode
{
    Min,
    Max,
}

/// <summary>
/// One <c>--cache-from</c> or <c>--cache-to</c> value as buildx spells it: <c>type=registry,ref=REG/REPO[:TAG]</c> or
/// <c>type=local,src=DIR</c> / <c>type=local,dest=DIR</c> (an OCI image layout directory), plus the export options
/// <c>mode=min|max</c>, <c>cache-mounts=true</c> and <c>cache-mounts-max=SIZE</c>.
/// </summary>
/// <param name="Reference">The registry repository (type=registry); its tag is <see cref="Tag"/>.</param>
/// <param name="Directory">The OCI layout directory (type=local).</param>
/// <param name="Tag">The prefix of every entry's tag: entries of different tags (branches, say) are kept apart.</param>
public sealed record CacheSpec(ImageReference? Reference, string? Directory, string Tag)
{
    /// <summary>The tag prefix when the ref names none, as buildx's documentation uses it.</summary>
    public const string DefaultTag = "buildcache";

    /// <summary>BuildKit's default is min: only what the final image is made of.</summary>
    public CacheExportMode Mode { get; init; } = CacheExportMode.Min;

    /// <summary>Export (and import) the contents of <c>RUN --mount=type=cache</c> directories.</summary>
    public bool CacheMounts { get; init; }

    /// <summary>The largest compressed blob one cache mount may export; a larger one is skipped with a warning.</summary>
    public long CacheMountsMax { get; init; } = 1L << 30;

    /// <summary>How progress and warnings name this cache.</summary>
    public string Display => Reference?.ToString() ?? Directory!;
}
