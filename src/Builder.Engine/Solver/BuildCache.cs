using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Builder.Oci;
using Builder.Oci.Content;
using Builder.Oci.Layers;

namespace Builder.Engine.Solver;

/// <summary>
/// What a cached step produced: the layer it added (null when it changed no file), with its diffID. Config-only
/// steps are not cached; they are cheap and deterministic.
/// </summary>
public sealed record CacheRecord(Descriptor? Layer, Digest? DiffId)
{
    /// <summary>
    /// When the step made its layer (BuildKit's layer createdAt): its history entry's time, so a rebuild from the
    /// cache gives the same image. Unknown for a record imported from another machine's cache.
    /// </summary>
    public DateTimeOffset? Created { get; init; }
}

/// <summary>
/// The build cache: step cache keys → the layers they produced, one small JSON file per key under the store
/// (BuildKit's CacheMap idea). A record whose layer blob has been pruned counts as a miss.
/// </summary>
public sealed class BuildCache(string directory, IContentProvider content)
{
    public string Directory { get; } = directory;

    /// <summary>The lease that holds the records this build reads and writes, so a concurrent prune leaves them.</summary>
    public StoreLease? Lease { get; init; }

    public async Task<CacheRecord?> GetAsync(Digest key, CancellationToken cancellationToken)
    {
        Lease?.Hold(LeaseKind.CacheRecord, key.Hex);
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            return null;
        }
        CacheRecord? record;
        try
        {
            record = JsonSerializer.Deserialize(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false), CacheJsonContext.Default.CacheRecord);
        }
        catch (JsonException)
        {
            return null; // a damaged record is a miss, and the step overwrites it
        }
        if (record?.Layer is { } layer && !await content.ExistsAsync(layer.Digest, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        return record;
    }

    public async Task PutAsync(Digest key, CacheRecord record, CancellationToken cancellationToken)
    {
        Lease?.Hold(LeaseKind.CacheRecord, key.Hex);
        await AtomicFile.WriteAsync(PathOf(key), JsonSerializer.SerializeToUtf8Bytes(record, CacheJsonContext.Default.CacheRecord), cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// The index of the layer a COPY last wrote (<see cref="TarIndex"/>), by the step's identity across content changes;
    /// null when there is none or it is damaged. A sidecar of the records: pruned with them, never trusted (see <see cref="LayerReuse"/>).
    /// </summary>
    public async Task<TarIndex?> GetIndexAsync(Digest identity, CancellationToken cancellationToken)
    {
        Lease?.Hold(LeaseKind.CacheRecord, identity.Hex);
        var path = IndexPathOf(identity);
        return File.Exists(path) ? TarIndex.TryParse(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false)) : null;
    }

    public async Task PutIndexAsync(Digest identity, TarIndex index, CancellationToken cancellationToken)
    {
        Lease?.Hold(LeaseKind.CacheRecord, identity.Hex);
        await AtomicFile.WriteAsync(IndexPathOf(identity), index.ToBytes(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The layers the cache refers to, so pruning can keep them alive.</summary>
    public async Task<IReadOnlyList<Descriptor>> LayersAsync(CancellationToken cancellationToken)
    {
        var layers = new List<Descriptor>();
        if (!System.IO.Directory.Exists(Directory))
        {
            return layers;
        }
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize(await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false), CacheJsonContext.Default.CacheRecord)?.Layer is { } layer)
                {
                    layers.Add(layer);
                }
            }
            catch (JsonException)
            {
            }
        }
        return layers;
    }

    /// <summary>
    /// Forgets every record no live build holds (<c>builder prune</c>, under the sweep lock), and temporary files
    /// of killed writers; the layers go when nothing else refers to them. With <paramref name="writtenBefore"/>, only
    /// the records written before then (<c>builder cache prune --keep-duration</c>).
    /// </summary>
    public int Clear(LiveLeases live, DateTimeOffset? writtenBefore = null)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return 0;
        }
        var removed = 0;
        foreach (var file in System.IO.Directory.GetFiles(Directory))
        {
            var name = Path.GetFileName(file);
            if (live.Holds(LeaseKind.CacheRecord, name.Split('.')[0])
                || (writtenBefore is { } cutoff && File.GetLastWriteTimeUtc(file) >= cutoff.UtcDateTime))
            {
                continue;
            }
            File.Delete(file);
            // Records are counted; the COPY tar indexes beside them (and killed writers' temporaries) go uncounted.
            removed += name.EndsWith(".json", StringComparison.Ordinal) ? 1 : 0;
        }
        return removed;
    }

    private string PathOf(Digest key) => Path.Combine(Directory, key.Hex + ".json");

    private string IndexPathOf(Digest identity) => Path.Combine(Directory, identity.Hex + ".tarindex");
}

/// <summary>Cache keys: a digest over a step's definition and the keys and content digests of what it reads.</summary>
public static class CacheKey
{
    public static Digest Of(Digest parent, string definition, params IEnumerable<string> inputs)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Length-prefixed parts, so no two different part lists hash the same text.
        foreach (var part in inputs.Prepend(definition).Prepend(parent.ToString()))
        {
            var bytes = Encoding.UTF8.GetBytes(part);
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }
        return Digest.FromHash(Digest.Sha256, hash.GetHashAndReset());
    }
}

[JsonSerializable(typeof(CacheRecord))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class CacheJsonContext : JsonSerializerContext;
