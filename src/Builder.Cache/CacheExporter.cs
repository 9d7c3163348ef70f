using System.Globalization;
using Builder.Oci;
using Builder.Oci.Content;
using Builder.Oci.Images;

namespace Builder.Cache;

/// <summary>A built step to export: its cache key, its layer in the local store (none when it changed no file), its history text.</summary>
public sealed record CacheStep(Digest Key, Descriptor? Layer, Digest? DiffId, string CreatedBy);

/// <summary>
/// Writes steps to a <c>--cache-to</c> cache, one entry each (<see cref="CacheEntries"/>): the step's own layer,
/// gzip-compressed (a plain layer is compressed once, shared with pushes), uploaded unless the cache has it, then the
/// entry manifest under the step's tag. Only the steps' layers are written, never a base image's. A failure is a
/// warning: the build has succeeded, and a cache never fails it.
/// </summary>
public sealed class CacheExporter(OciLayoutStore store, Action<string> warn)
{
    /// <summary>Exports <paramref name="steps"/>; returns how many entries were written.</summary>
    public async Task<int> ExportAsync(ICacheBackend backend, CacheSpec spec, IEnumerable<CacheStep> steps, CancellationToken cancellationToken)
    {
        var compression = new ImageCompression(store);
        var written = 0;
        try
        {
            // The empty descriptor is every entry's config: uploaded once.
            await PushAsync(backend, CacheEntries.EmptyDescriptor, _ => Task.FromResult<Stream>(new MemoryStream(CacheEntries.EmptyJson.ToArray())),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            warn($"cache {backend.Display}: {CacheImporter.Reason(e)}; the cache was not exported");
            return 0;
        }
        foreach (var step in steps.DistinctBy(s => s.Key))
        {
            try
            {
                var layer = step.Layer is { } stored && step.DiffId is { } diffId
                    ? await ExportLayerAsync(backend, compression, stored, diffId, cancellationToken).ConfigureAwait(false)
                    : CacheEntries.EmptyDescriptor;
                await backend.PutEntryAsync(CacheEntries.StepTag(spec.Tag, step.Key), Entry(step, layer), cancellationToken).ConfigureAwait(false);
                written++;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                warn($"cache {backend.Display}: step {step.CreatedBy}: {CacheImporter.Reason(e)}; its entry was not exported");
            }
        }
        return written;
    }

    /// <summary>The step's layer as the cache holds it: gzip (a plain tar is compressed once), with its diffID annotated.</summary>
    private async Task<Descriptor> ExportLayerAsync(ICacheBackend backend, ImageCompression compression, Descriptor layer, Digest diffId,
        CancellationToken cancellationToken)
    {
        var blob = layer.MediaType == MediaTypes.OciLayer
            ? await compression.CompressLayerAsync(layer, diffId, cancellationToken).ConfigureAwait(false)
            : layer;
        blob = new Descriptor(blob.MediaType, blob.Digest, blob.Size);
        await PushAsync(backend, blob, ct => store.OpenReadAsync(blob.Digest, ct), cancellationToken).ConfigureAwait(false);
        return blob with { Annotations = new Dictionary<string, string> { [CacheEntries.DiffIdAnnotation] = diffId.ToString() } };
    }

    internal static async Task PushAsync(ICacheBackend backend, Descriptor blob, Func<CancellationToken, Task<Stream>> open, CancellationToken cancellationToken)
    {
        if (!await backend.HasBlobAsync(blob, cancellationToken).ConfigureAwait(false))
        {
            await backend.PushBlobAsync(blob, open, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The entry manifest: an OCI 1.1 artifact whose config is the empty descriptor and whose one layer is the step's.</summary>
    internal static ReadOnlyMemory<byte> Entry(CacheStep step, Descriptor layer) =>
        CacheEntries.Manifest(CacheEntries.StepArtifactType, layer, new Dictionary<string, string>
        {
            [CacheEntries.KeyAnnotation] = step.Key.ToString(),
            [CacheEntries.CreatedByAnnotation] = step.CreatedBy,
        });
}
