using Builder.Oci.Content;
using Builder.Oci.Layers;

namespace Builder.Oci.Images;

/// <summary>One layer of an image: its blob and its diffID (go-containerregistry's Layer).</summary>
public interface ILayer
{
    /// <summary>The layer blob as stored (usually gzip-compressed).</summary>
    Descriptor Descriptor { get; }

    /// <summary>The sha256 of the uncompressed tar, as the config's <c>rootfs.diff_ids</c> lists it.</summary>
    Digest DiffId { get; }

    Task<Stream> OpenCompressedAsync(CancellationToken cancellationToken);

    Task<Stream> OpenUncompressedAsync(CancellationToken cancellationToken);
}

/// <summary>A single-platform image: its manifest, its config and its layers, in order.</summary>
public interface IImage
{
    /// <summary>The manifest's descriptor.</summary>
    Descriptor Descriptor { get; }

    Blob<ImageManifest> Manifest { get; }

    Blob<ImageConfig> Config { get; }

    IReadOnlyList<ILayer> Layers { get; }
}

/// <summary>A layer whose blob lives in a content store.</summary>
public sealed class StoredLayer(IContentProvider content, Descriptor descriptor, Digest diffId) : ILayer
{
    public Descriptor Descriptor { get; } = descriptor;

    public Digest DiffId { get; } = diffId;

    public Task<Stream> OpenCompressedAsync(CancellationToken cancellationToken) => content.OpenReadAsync(Descriptor.Digest, cancellationToken);

    public async Task<Stream> OpenUncompressedAsync(CancellationToken cancellationToken) =>
        await LayerDecompression.OpenUncompressedAsync(await OpenCompressedAsync(cancellationToken).ConfigureAwait(false), cancellationToken)
            .ConfigureAwait(false);
}

/// <summary>An image whose manifest, config and layers live in a content store.</summary>
public sealed class StoredImage(Blob<ImageManifest> manifest, Blob<ImageConfig> config, IReadOnlyList<ILayer> layers) : IImage
{
    public Descriptor Descriptor => Manifest.Descriptor;

    public Blob<ImageManifest> Manifest { get; } = manifest;

    public Blob<ImageConfig> Config { get; } = config;

    public IReadOnlyList<ILayer> Layers { get; } = layers;

    /// <summary>The image ID docker shows: the config digest.</summary>
    public Digest Id => Config.Digest;

    /// <summary>
    /// Loads the image <paramref name="target"/> names from <paramref name="content"/>. An index (or manifest list)
    /// is resolved to the manifest for <paramref name="platform"/> (the host when null).
    /// </summary>
    public static async Task<StoredImage> LoadAsync(IContentProvider content, Descriptor target, Platform? platform, CancellationToken cancellationToken)
    {
        platform ??= Platform.Host;
        var descriptor = target;
        if (MediaTypes.IsIndex(descriptor.MediaType))
        {
            var index = await content.ReadIndexAsync(descriptor, cancellationToken).ConfigureAwait(false);
            descriptor = SelectManifest(index.Value, platform)
                ?? throw new PlatformNotFoundException(platform, index.Value.Manifests.Select(m => m.Platform).OfType<Platform>().ToList());
        }
        if (!MediaTypes.IsManifest(descriptor.MediaType))
        {
            throw new InvalidDataException($"{descriptor.Digest} is a {descriptor.MediaType}, not an image manifest or index");
        }
        var manifest = await content.ReadManifestAsync(descriptor, cancellationToken).ConfigureAwait(false);
        var config = await content.ReadConfigAsync(manifest.Value.Config, cancellationToken).ConfigureAwait(false);
        var diffIds = config.Value.RootFs.DiffIds;
        var layers = manifest.Value.Layers;
        if (diffIds.Count != layers.Count)
        {
            throw new InvalidDataException($"image {descriptor.Digest} has {layers.Count} layers but its config lists {diffIds.Count} diff_ids");
        }
        return new StoredImage(manifest, config, layers.Select((layer, i) => (ILayer)new StoredLayer(content, layer, diffIds[i])).ToList());
    }

    /// <summary>The index entry for <paramref name="platform"/>: an exact variant match first, then any variant.</summary>
    public static Descriptor? SelectManifest(ImageIndex index, Platform platform)
    {
        var candidates = index.Manifests.Where(m => MediaTypes.IsManifest(m.MediaType) && m.Platform is not null && platform.Matches(m.Platform)).ToList();
        return candidates.FirstOrDefault(m => Platform.Normalize(m.Platform!).Variant == Platform.Normalize(platform).Variant)
            ?? candidates.FirstOrDefault()
            // A single untagged manifest (attestation-free indexes written by some tools) is taken as it is.
            ?? (index.Manifests.Count(m => MediaTypes.IsManifest(m.MediaType)) == 1 && index.Manifests.All(m => m.Platform is null)
                ? index.Manifests.First(m => MediaTypes.IsManifest(m.MediaType))
                : null);
    }
}

/// <summary>An index holds no image for the platform asked for.</summary>
public sealed class PlatformNotFoundException(Platform platform, IReadOnlyList<Platform> available)
    : Exception($"no image for {platform} (the index has {(available.Count == 0 ? "no platforms" : string.Join(", ", available))})")
{
    public Platform Platform { get; } = platform;

    public IReadOnlyList<Platform> Available { get; } = available;
}
