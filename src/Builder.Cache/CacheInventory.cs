using System.Globalization;
using Builder.Oci;
using Builder.Oci.Images;

namespace Builder.Cache;

/// <summary>One entry of a cache as <c>builder cache ls</c> shows it.</summary>
/// <param name="Kind"><c>step</c> or <c>mount</c>.</param>
/// <param name="Description">A step's history text, or a cache mount's id.</param>
public sealed record CacheEntryInfo(string Tag, string Kind, Digest Manifest, DateTimeOffset? Created, long Size, string Description);

/// <summary>
/// Lists and prunes Builder's entries in a cache: the tags with the spec's prefix whose manifest has one of Builder's
/// artifact types; anything else in the repository (images, other tools' caches) is never touched.
/// </summary>
public static class CacheInventory
{
    private const int MaxEntrySize = 64 << 10;

    public static async Task<IReadOnlyList<CacheEntryInfo>> ListAsync(ICacheBackend backend, CacheSpec spec, CancellationToken cancellationToken)
    {
        var entries = new List<CacheEntryInfo>();
        await foreach (var tag in backend.ListTagsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (tag.StartsWith(spec.Tag + "-", StringComparison.Ordinal)
                && await backend.GetEntryAsync(tag, cancellationToken).ConfigureAwait(false) is { } entry
                && Describe(tag, entry.Descriptor.Digest, entry.Bytes) is { } info)
            {
                entries.Add(info);
            }
        }
        return [.. entries.OrderBy(e => e.Created).ThenBy(e => e.Tag, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Deletes the entries written before <paramref name="cutoff"/> (an entry without a readable date counts as old);
    /// returns what it deleted. Blobs stay for the registry's garbage collection: another writer may be using them.
    /// </summary>
    public static async Task<IReadOnlyList<CacheEntryInfo>> PruneAsync(ICacheBackend backend, CacheSpec spec, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var deleted = new List<CacheEntryInfo>();
        foreach (var entry in await ListAsync(backend, spec, cancellationToken).ConfigureAwait(false))
        {
            if ((entry.Created ?? DateTimeOffset.MinValue) < cutoff && await backend.DeleteEntryAsync(entry.Manifest, cancellationToken).ConfigureAwait(false))
            {
                deleted.Add(entry);
            }
        }
        return deleted;
    }

    /// <summary>The entry's summary; null when the manifest is not one of Builder's entries (or not readable as one).</summary>
    private static CacheEntryInfo? Describe(string tag, Digest digest, ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length > MaxEntrySize)
        {
            return null;
        }
        ImageManifest manifest;
        try
        {
            manifest = OciJson.ParseManifest(bytes).Value;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException or FormatException)
        {
            return null;
        }
        var annotations = manifest.Annotations ?? new Dictionary<string, string>();
        var created = DateTimeOffset.TryParse(annotations.GetValueOrDefault(CacheEntries.CreatedAnnotation), CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal, out var time) ? time : (DateTimeOffset?)null;
        var size = manifest.Layers.Where(l => l.Digest != CacheEntries.EmptyDescriptor.Digest).Sum(l => l.Size);
        return manifest.ArtifactType switch
        {
            CacheEntries.StepArtifactType => new CacheEntryInfo(tag, "step", digest, created, size, annotations.GetValueOrDefault(CacheEntries.CreatedByAnnotation) ?? ""),
            CacheEntries.MountArtifactType => new CacheEntryInfo(tag, "mount", digest, created, size, annotations.GetValueOrDefault(CacheEntries.MountIdAnnotation) ?? ""),
            _ => null,
        };
    }
}
