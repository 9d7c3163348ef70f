using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Builder.Oci;
using Builder.Oci.Images;

namespace Builder.Cache;

/// <summary>
/// The cache's content, as ordinary OCI 1.1 manifests every registry accepts: one image manifest per entry, whose config
/// is the empty descriptor, whose artifactType says what it holds, and whose metadata are annotations. An entry is found
/// by its tag alone (one request), and writing one never touches another, so concurrent writers keep each other's.
/// <list type="bullet">
/// <item>A step: tag <c>{TAG}-{key hex}</c>; its one layer is the step's own layer (compressed), or the empty
/// descriptor when the step changed no file. Base image layers are never in the cache: the step key already names the
/// base by its manifest digest.</item>
/// <item>A cache mount: tag <c>{TAG}-mount-{sha256(id) hex}</c>; its one layer is a gzip tar of the mount's contents.</item>
/// </list>
/// </summary>
public static class CacheEntries
{
    public const string StepArtifactType = "application/vnd.builder.cache.step.v1";

    public const string MountArtifactType = "application/vnd.builder.cache.mount.v1";

    /// <summary>On a step entry: the step's cache key (<c>sha256:…</c>).</summary>
    public const string KeyAnnotation = "dev.builder.cache.key";

    /// <summary>On a step entry's layer: the diffID (digest of the uncompressed tar), checked again on import.</summary>
    public const string DiffIdAnnotation = "dev.builder.cache.diffid";

    /// <summary>On a step entry: the step's history text (what <c>builder cache ls</c> shows).</summary>
    public const string CreatedByAnnotation = "dev.builder.cache.created-by";

    /// <summary>On a mount entry: the cache mount's id.</summary>
    public const string MountIdAnnotation = "dev.builder.cache.mount-id";

    /// <summary>When the entry was written (RFC 3339): what <c>builder cache prune --keep-duration</c> compares.</summary>
    public const string CreatedAnnotation = "org.opencontainers.image.created";

    /// <summary>The longest tag prefix: a tag is at most 128 characters, and the mount suffix takes 71.</summary>
    public const int MaxTagPrefix = 128 - 71;

    /// <summary>The empty JSON object the OCI 1.1 spec names for configs (and layers) that hold nothing.</summary>
    public static ReadOnlyMemory<byte> EmptyJson { get; } = "{}"u8.ToArray();

    public static Descriptor EmptyDescriptor { get; } = Descriptor.Of(MediaTypes.OciEmpty, EmptyJson.Span);

    /// <summary>
    /// An entry's manifest bytes: an OCI 1.1 artifact of <paramref name="artifactType"/> whose config is the empty
    /// descriptor and whose one layer is <paramref name="layer"/>, stamped with the time of export (what prune's
    /// --keep-duration compares; not SOURCE_DATE_EPOCH, which dates images, not cache writes).
    /// </summary>
    public static ReadOnlyMemory<byte> Manifest(string artifactType, Descriptor layer, IReadOnlyDictionary<string, string> annotations) =>
        OciJson.Serialize(new ImageManifest
        {
            MediaType = MediaTypes.OciManifest,
            ArtifactType = artifactType,
            Config = EmptyDescriptor,
            Layers = [layer],
            Annotations = new Dictionary<string, string>(annotations)
            {
                [CreatedAnnotation] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            },
        }, OciJson.Manifest);

    public static string StepTag(string prefix, Digest key) => $"{prefix}-{key.Hex}";

    public static string MountTag(string prefix, string mountId) =>
        $"{prefix}-mount-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(mountId)))}";
}
