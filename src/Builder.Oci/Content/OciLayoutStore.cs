using System.Text.Json;
using Builder.Oci.Images;
using Builder.Oci.References;

namespace Builder.Oci.Content;

/// <summary>
/// A content store that is an OCI image layout directory: <c>oci-layout</c>, <c>index.json</c> (the tags) and
/// <c>blobs/&lt;alg&gt;/&lt;hex&gt;</c>. Blobs are written to <c>ingest/</c> on the same file system, verified,
/// fsynced and renamed into place, so readers never see partial blobs and concurrent writers (threads or processes)
/// of the same blob are safe. <c>index.json</c> changes under an exclusive lock on <c>index.json.lock</c> and are
/// written whole and renamed, so concurrent taggers all land and readers need no lock.
/// </summary>
public sealed class OciLayoutStore : IContentProvider, IContentIngester, ITagStore
{
    /// <summary>The index.json annotation that names an entry; we store the full canonical reference.</summary>
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    public const string IndexFileName = "index.json";

    internal const string IngestSuffix = ".partial";

    // Registries refuse manifests over 4 MiB; anything far bigger is not a manifest worth walking.
    private const long MaxManifestSize = 16 << 20;

    private OciLayoutStore(string root)
    {
        Root = root;
        BlobsDirectory = StoreLayout.At(root).Blobs;
        IngestDirectory = StoreLayout.At(root).Ingest;
        IndexPath = StoreLayout.At(root).Index;
        LockPath = IndexPath + ".lock";
    }

    public string Root { get; }

    /// <summary>Every path under the store's root.</summary>
    public StoreLayout Layout => StoreLayout.At(Root);

    public string BlobsDirectory { get; }

    internal string IngestDirectory { get; }

    private string IndexPath { get; }

    private string LockPath { get; }

    /// <summary>Opens the layout at <paramref name="root"/>, creating it (and its <c>oci-layout</c> and empty index) if needed.</summary>
    /// <exception cref="InvalidDataException">The directory holds an OCI layout of an unsupported version.</exception>
    public static async Task<OciLayoutStore> OpenAsync(string root, CancellationToken cancellationToken)
    {
        var store = new OciLayoutStore(Path.GetFullPath(root));
        Directory.CreateDirectory(Path.Combine(store.BlobsDirectory, Digest.Sha256));
        Directory.CreateDirectory(store.IngestDirectory);

        var layoutPath = Path.Combine(store.Root, OciLayout.FileName);
        if (File.Exists(layoutPath))
        {
            var layout = OciJson.Deserialize(await File.ReadAllBytesAsync(layoutPath, cancellationToken).ConfigureAwait(false), OciJson.Layout);
            if (!layout.ImageLayoutVersion.StartsWith("1.", StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{layoutPath}: unsupported OCI image layout version {layout.ImageLayoutVersion}");
            }
        }
        else
        {
            // Every process that races here writes the same bytes, so last rename wins harmlessly.
            await store.ReplaceFileAsync(layoutPath, OciJson.Serialize(OciLayout.Current, OciJson.Layout), cancellationToken).ConfigureAwait(false);
        }

        if (!File.Exists(store.IndexPath))
        {
            using var indexLock = await store.LockIndexAsync(cancellationToken).ConfigureAwait(false);
            if (!File.Exists(store.IndexPath))
            {
                await store.WriteIndexAsync(ImageIndex.Oci([]), cancellationToken).ConfigureAwait(false);
            }
        }
        return store;
    }

    /// <summary>
    /// The lease this store's user (a build, pull, push…) holds: every blob opened, looked up or committed through
    /// this instance is held by it first, so a concurrent prune keeps it. Set once, before use; null holds nothing.
    /// </summary>
    public StoreLease? Lease { get; set; }

    internal string BlobPath(Digest digest) => Path.Combine(BlobsDirectory, digest.Algorithm, digest.Hex);

    public Task<Stream> OpenReadAsync(Digest digest, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Lease?.Hold(digest);
        try
        {
            Stream stream = new FileStream(BlobPath(digest), new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                BufferSize = 1 << 16,
            });
            return Task.FromResult(stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ContentNotFoundException(digest);
        }
    }

    public Task<ContentInfo?> InfoAsync(Digest digest, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Lease?.Hold(digest);
        var file = new FileInfo(BlobPath(digest));
        return Task.FromResult(file.Exists ? new ContentInfo(digest, file.Length, file.LastWriteTimeUtc) : null);
    }

    public Task<bool> ExistsAsync(Digest digest, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Lease?.Hold(digest);
        return Task.FromResult(File.Exists(BlobPath(digest)));
    }

    public Task<IContentWriter> OpenWriterAsync(string digestAlgorithm, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IContentWriter>(LayoutContentWriter.Create(this, digestAlgorithm));
    }

    /// <summary>The layout's <c>index.json</c> as it is now.</summary>
    public async Task<ImageIndex> ReadLayoutIndexAsync(CancellationToken cancellationToken) =>
        OciJson.Deserialize(await File.ReadAllBytesAsync(IndexPath, cancellationToken).ConfigureAwait(false), OciJson.Index);

    public async Task<Descriptor?> GetAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        var name = reference.ToString();
        var index = await ReadLayoutIndexAsync(cancellationToken).ConfigureAwait(false);
        return index.Manifests.LastOrDefault(d => RefName(d) == name) is { } entry ? WithoutRefName(entry) : null;
    }

    public async Task<IReadOnlyList<TaggedImage>> ListAsync(CancellationToken cancellationToken)
    {
        var index = await ReadLayoutIndexAsync(cancellationToken).ConfigureAwait(false);
        return [.. index.Manifests.Where(d => RefName(d) is not null).Select(d => new TaggedImage(RefName(d)!, WithoutRefName(d)))];
    }

    public Task SetAsync(ImageReference reference, Descriptor target, CancellationToken cancellationToken)
    {
        var name = reference.ToString();
        var annotations = new Dictionary<string, string>(target.Annotations ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [RefNameAnnotation] = name,
        };
        var entry = target with { Annotations = annotations };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(entry, OciJsonContext.Default.Descriptor);
        // A tag that already names exactly this (a rebuild that changed nothing) leaves index.json as it is: no write, no fsync.
        return UpdateIndexAsync(manifests => manifests.Any(d => RefName(d) == name && JsonSerializer.SerializeToUtf8Bytes(d, OciJsonContext.Default.Descriptor).AsSpan().SequenceEqual(bytes))
            ? null
            : [.. manifests.Where(d => RefName(d) != name), entry], cancellationToken);
    }

    public async Task<bool> RemoveAsync(ImageReference reference, CancellationToken cancellationToken)
    {
        var name = reference.ToString();
        var removed = false;
        await UpdateIndexAsync(
            manifests =>
            {
                var kept = manifests.Where(d => RefName(d) != name).ToList();
                removed = kept.Count != manifests.Count;
                return removed ? kept : null;
            },
            cancellationToken).ConfigureAwait(false);
        return removed;
    }

    /// <summary>
    /// Lists an artifact that refers to an image (a signature, an SBOM: a manifest with a <c>subject</c>) in
    /// index.json without a name, which is how OCI image layouts hold referrers; prune keeps it like a tag would.
    /// Listing the same artifact again changes nothing.
    /// </summary>
    public Task AddReferrerAsync(Descriptor artifact, CancellationToken cancellationToken) =>
        UpdateIndexAsync(
            manifests => manifests.Any(d => d.Digest == artifact.Digest && RefName(d) is null) ? null : [.. manifests, artifact],
            cancellationToken);

    /// <summary>
    /// Deletes every blob not reachable from <c>index.json</c> or <see cref="PruneOptions.ExtraRoots"/> (manifests
    /// lead to their config and layers, indexes to their manifests), and temp files that no live writer holds.
    /// A referrer (an unnamed entry whose manifest has a <c>subject</c>) lives as long as its subject does: one whose
    /// image is gone leaves index.json and its blobs go too.
    /// </summary>
    public async Task<PruneResult> PruneAsync(PruneOptions options, CancellationToken cancellationToken)
    {
        // Holding the index lock keeps the roots still while we sweep.
        using var indexLock = await LockIndexAsync(cancellationToken).ConfigureAwait(false);
        var index = await ReadLayoutIndexAsync(cancellationToken).ConfigureAwait(false);
        var referrers = new Dictionary<Descriptor, Digest>();
        foreach (var entry in index.Manifests.Where(d => RefName(d) is null && MediaTypes.IsManifest(d.MediaType)))
        {
            if (await SubjectOfAsync(entry, cancellationToken).ConfigureAwait(false) is { } subject)
            {
                referrers[entry] = subject;
            }
        }
        var reachable = await MarkAsync([.. index.Manifests.Where(d => !referrers.ContainsKey(d)), .. options.ExtraRoots,
            .. await LeasedRootsAsync(options.LeasedBlobs, cancellationToken).ConfigureAwait(false)], cancellationToken).ConfigureAwait(false);
        // Referrers of kept subjects are kept, and so are their own referrers (a signature of an SBOM).
        for (var kept = true; kept;)
        {
            kept = false;
            foreach (var (entry, subject) in referrers.Where(r => reachable.Contains(r.Value)).ToList())
            {
                reachable.UnionWith(await MarkAsync([entry], cancellationToken).ConfigureAwait(false));
                referrers.Remove(entry);
                kept = true;
            }
        }
        if (referrers.Count > 0)
        {
            await WriteIndexAsync(index with { Manifests = [.. index.Manifests.Where(d => !referrers.ContainsKey(d))] }, cancellationToken).ConfigureAwait(false);
        }

        var removed = new List<Digest>();
        long freed = 0;
        var cutoff = DateTime.UtcNow - options.KeepNewerThan;
        foreach (var algorithmDirectory in Directory.EnumerateDirectories(BlobsDirectory))
        {
            var algorithm = Path.GetFileName(algorithmDirectory);
            foreach (var file in new DirectoryInfo(algorithmDirectory).EnumerateFiles())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!Digest.TryParse($"{algorithm}:{file.Name}", out var digest)
                    || reachable.Contains(digest)
                    || (options.KeepNewerThan > TimeSpan.Zero && file.LastWriteTimeUtc > cutoff))
                {
                    continue;
                }
                var size = file.Length;
                file.Delete();
                removed.Add(digest);
                freed += size;
            }
        }

        var removedIngest = 0;
        foreach (var file in new DirectoryInfo(IngestDirectory).EnumerateFiles())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryDeleteAbandoned(file) is { } size)
            {
                removedIngest++;
                freed += size;
            }
        }
        return new PruneResult(removed, removedIngest, freed);
    }

    /// <summary>Leased blobs as roots: a leased manifest or index keeps what it references (a build tags it later).</summary>
    private async Task<IReadOnlyList<Descriptor>> LeasedRootsAsync(IReadOnlySet<Digest> leased, CancellationToken cancellationToken)
    {
        var roots = new List<Descriptor>();
        foreach (var digest in leased)
        {
            var file = new FileInfo(BlobPath(digest));
            var mediaType = "application/octet-stream";
            if (file.Exists && file.Length <= MaxManifestSize && file.Length > 0)
            {
                using var stream = file.OpenRead();
                if (stream.ReadByte() == '{')
                {
                    stream.Position = 0;
                    var bytes = new byte[file.Length];
                    await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
                    mediaType = OciJson.DetectMediaType(bytes) ?? mediaType;
                }
            }
            roots.Add(new Descriptor(mediaType, digest, Math.Max(0, file.Exists ? file.Length : 0)));
        }
        return roots;
    }

    private async Task<HashSet<Digest>> MarkAsync(IEnumerable<Descriptor> roots, CancellationToken cancellationToken)
    {
        var reachable = new HashSet<Digest>();
        var pending = new Stack<Descriptor>(roots);
        while (pending.TryPop(out var descriptor))
        {
            if (!reachable.Add(descriptor.Digest)
                || !(MediaTypes.IsManifest(descriptor.MediaType) || MediaTypes.IsIndex(descriptor.MediaType)))
            {
                continue;
            }
            var file = new FileInfo(BlobPath(descriptor.Digest));
            if (!file.Exists || file.Length > MaxManifestSize)
            {
                continue; // not pulled (yet), or not a manifest: nothing to follow
            }
            var bytes = await File.ReadAllBytesAsync(file.FullName, cancellationToken).ConfigureAwait(false);
            try
            {
                var kind = OciJson.DetectMediaType(bytes) ?? descriptor.MediaType;
                if (MediaTypes.IsIndex(kind))
                {
                    foreach (var child in OciJson.Deserialize(bytes, OciJson.Index).Manifests)
                    {
                        pending.Push(child);
                    }
                }
                else if (MediaTypes.IsManifest(kind))
                {
                    var manifest = OciJson.Deserialize(bytes, OciJson.Manifest);
                    pending.Push(manifest.Config);
                    foreach (var layer in manifest.Layers)
                    {
                        pending.Push(layer);
                    }
                }
            }
            catch (JsonException)
            {
                // A root that does not parse keeps itself alive; it cannot keep anything else.
            }
        }
        return reachable;
    }

    /// <summary>
    /// The diffIDs of every layer of the images index.json names (indexes followed to the manifests held here):
    /// what extracted copies of layers are still good for.
    /// </summary>
    public async Task<IReadOnlySet<Digest>> LayerDiffIdsAsync(CancellationToken cancellationToken)
    {
        var diffIds = new HashSet<Digest>();
        var pending = new Stack<Descriptor>((await ReadLayoutIndexAsync(cancellationToken).ConfigureAwait(false)).Manifests);
        while (pending.TryPop(out var descriptor))
        {
            if (!await ExistsAsync(descriptor.Digest, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }
            if (MediaTypes.IsIndex(descriptor.MediaType))
            {
                foreach (var child in (await this.ReadIndexAsync(descriptor, cancellationToken).ConfigureAwait(false)).Value.Manifests)
                {
                    pending.Push(child);
                }
            }
            else if (MediaTypes.IsManifest(descriptor.MediaType)
                && (await this.ReadManifestAsync(descriptor, cancellationToken).ConfigureAwait(false)).Value.Config is { MediaType: MediaTypes.OciConfig or MediaTypes.DockerConfig } config
                && await ExistsAsync(config.Digest, cancellationToken).ConfigureAwait(false))
            {
                diffIds.UnionWith((await this.ReadConfigAsync(config, cancellationToken).ConfigureAwait(false)).Value.RootFs.DiffIds);
            }
        }
        return diffIds;
    }

    /// <summary>The digest a stored manifest names as its <c>subject</c>; null when it has none or is not here.</summary>
    private async Task<Digest?> SubjectOfAsync(Descriptor manifest, CancellationToken cancellationToken)
    {
        var file = new FileInfo(BlobPath(manifest.Digest));
        if (!file.Exists || file.Length > MaxManifestSize)
        {
            return null;
        }
        try
        {
            return OciJson.Deserialize(await File.ReadAllBytesAsync(file.FullName, cancellationToken).ConfigureAwait(false), OciJson.Manifest).Subject?.Digest;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Deletes an ingest file no writer holds (its process died), returning its size; null if in use.</summary>
    private static long? TryDeleteAbandoned(FileInfo file)
    {
        try
        {
            using var probe = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.None);
            var size = probe.Length;
            File.Delete(file.FullName);
            return size;
        }
        catch (IOException)
        {
            return null; // a live writer holds it, or it was committed meanwhile
        }
    }

    private static string? RefName(Descriptor descriptor) =>
        descriptor.Annotations is { } annotations && annotations.TryGetValue(RefNameAnnotation, out var name) ? name : null;

    private static Descriptor WithoutRefName(Descriptor descriptor)
    {
        var rest = descriptor.Annotations!.Where(p => p.Key != RefNameAnnotation).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        return descriptor with { Annotations = rest.Count == 0 ? null : rest };
    }

    /// <summary>Reads, changes and replaces index.json under the lock; a null from <paramref name="change"/> writes nothing.</summary>
    private async Task UpdateIndexAsync(Func<IReadOnlyList<Descriptor>, IReadOnlyList<Descriptor>?> change, CancellationToken cancellationToken)
    {
        using var indexLock = await LockIndexAsync(cancellationToken).ConfigureAwait(false);
        var index = await ReadLayoutIndexAsync(cancellationToken).ConfigureAwait(false);
        if (change(index.Manifests) is { } manifests)
        {
            await WriteIndexAsync(index with { Manifests = manifests }, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task WriteIndexAsync(ImageIndex index, CancellationToken cancellationToken) =>
        ReplaceFileAsync(IndexPath, OciJson.Serialize(index, OciJson.Index), cancellationToken);

    /// <summary>Replaces a file whole (<see cref="AtomicFile"/>), the temporary file in ingest/ where prune finds an abandoned one.</summary>
    private Task ReplaceFileAsync(string path, byte[] content, CancellationToken cancellationToken) =>
        AtomicFile.WriteAsync(path, content, cancellationToken, Path.Combine(IngestDirectory, $"{Path.GetFileName(path)}-{Guid.NewGuid():N}{IngestSuffix}"));

    /// <summary>An exclusive lock (flock) on index.json.lock, shared by threads and processes alike; waits for it.</summary>
    private async Task<IDisposable> LockIndexAsync(CancellationToken cancellationToken)
    {
        var delay = 1;
        while (true)
        {
            try
            {
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (e.GetType() == typeof(IOException))
            {
                // Held by another thread or process.
            }
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = Math.Min(delay * 2, 20);
        }
    }
}

/// <summary>What <see cref="OciLayoutStore.PruneAsync"/> keeps beyond index.json.</summary>
public sealed record PruneOptions
{
    /// <summary>More roots to keep with everything they reference (e.g. build-cache records).</summary>
    public IReadOnlyList<Descriptor> ExtraRoots { get; init; } = [];

    /// <summary>
    /// Keep unreferenced blobs younger than this, for builds that committed blobs and have not tagged them yet.
    /// Zero deletes every unreferenced blob.
    /// </summary>
    public TimeSpan KeepNewerThan { get; init; }

    /// <summary>Blobs live leases hold (<see cref="StoreLeases.Collect"/>): kept, with what the manifests among them reference.</summary>
    public IReadOnlySet<Digest> LeasedBlobs { get; init; } = new HashSet<Digest>();
}

/// <summary>What a prune deleted.</summary>
public sealed record PruneResult(IReadOnlyList<Digest> RemovedBlobs, int RemovedIngestFiles, long BytesFreed);
