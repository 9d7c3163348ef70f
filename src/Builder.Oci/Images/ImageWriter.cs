using Builder.Oci.Content;

namespace Builder.Oci.Images;

/// <summary>Writes an image's config and manifest blobs for layers already in the store.</summary>
public static class ImageWriter
{
    /// <summary>
    /// Writes <paramref name="config"/> and an OCI manifest listing <paramref name="layers"/>; returns the manifest.
    /// The config's <c>rootfs.diff_ids</c> must match the layers.
    /// </summary>
    public static async Task<Blob<ImageManifest>> WriteAsync(IContentIngester store, ImageConfig config, IReadOnlyList<Descriptor> layers,
        IReadOnlyDictionary<string, string>? annotations, CancellationToken cancellationToken)
    {
        if (config.RootFs.DiffIds.Count != layers.Count)
        {
            throw new ArgumentException($"the config lists {config.RootFs.DiffIds.Count} diff_ids for {layers.Count} layers", nameof(config));
        }
        var configBlob = OciJson.ToBlob(config);
        await store.WriteBlobAsync(configBlob, cancellationToken).ConfigureAwait(false);
        var manifest = OciJson.ToBlob(ImageManifest.Oci(configBlob.Descriptor, layers) with { Annotations = annotations });
        await store.WriteBlobAsync(manifest, cancellationToken).ConfigureAwait(false);
        return manifest;
    }
}
