using System.Text.Json;
using System.Text.Json.Serialization;
using Builder.Oci;
using Builder.Oci.Images;
using Builder.Oci.References;
using Builder.Registry.Clients;

namespace Builder.Registry;

/// <summary>One image of a manifest list: where it is (a registry reference by digest) and its index entry (platform included).</summary>
public sealed record ManifestListEntry(string Source, Descriptor Manifest);

/// <summary>
/// A multi-platform image being put together from images already in registries (<c>builder manifest create</c>), as
/// docker manifest keeps one: the index's entries and where each image is, nothing of the images themselves.
/// </summary>
public sealed record ManifestList(string Name, IReadOnlyList<ManifestListEntry> Entries)
{
    /// <summary>The OCI image index the list stands for.</summary>
    public Blob<ImageIndex> Index() => OciJson.ToBlob(ImageIndex.Oci([.. Entries.Select(e => e.Manifest)]));
}

/// <summary>
/// Merges single-platform images built on different machines (each pushed by its own runner) into one index in the
/// registry, registry to registry: manifests and configs are read (to learn each image's platform), layers never
/// are — the destination repository mounts them from their source repository, or has them already.
/// </summary>
public static class ManifestLists
{
    /// <summary>
    /// The list of <paramref name="sources"/>' images: a single-platform image as it is, its platform read from its
    /// config; a multi-platform one, each of its images (attestation entries, <c>unknown/unknown</c>, left out).
    /// </summary>
    public static async Task<ManifestList> CreateAsync(RegistryClient registries, ImageReference name, IReadOnlyList<ImageReference> sources,
        CancellationToken cancellationToken)
    {
        var entries = new List<ManifestListEntry>();
        foreach (var source in sources)
        {
            var repository = await registries.RepositoryAsync(source.Registry, source.Repository, push: false, cancellationToken).ConfigureAwait(false);
            var reference = source.Digest?.ToString() ?? source.Tag ?? ImageReference.DefaultTag;
            var found = await repository.Manifests.GetAsync(reference, cancellationToken).ConfigureAwait(false)
                ?? throw new RegistryException(source.Registry, source.Repository, "read", null, $"no image {source}");
            if (MediaTypes.IsIndex(found.Descriptor.MediaType))
            {
                foreach (var child in OciJson.ParseIndex(found.Bytes, found.Descriptor.MediaType).Value.Manifests)
                {
                    if (MediaTypes.IsManifest(child.MediaType) && child.Platform is { Os: not "unknown" })
                    {
                        entries.Add(new ManifestListEntry(source.WithoutTagOrDigest().WithDigest(child.Digest).ToString(), child with { Annotations = null }));
                    }
                }
                continue;
            }
            if (!MediaTypes.IsManifest(found.Descriptor.MediaType))
            {
                throw new RegistryException(source.Registry, source.Repository, "read", null, $"{source} is a {found.Descriptor.MediaType}, not an image");
            }
            var manifest = OciJson.ParseManifest(found.Bytes, found.Descriptor.MediaType).Value;
            var config = await ReadConfigAsync(repository, manifest.Config, cancellationToken).ConfigureAwait(false);
            entries.Add(new ManifestListEntry(source.WithoutTagOrDigest().WithDigest(found.Descriptor.Digest).ToString(),
                found.Descriptor with { Platform = config.Platform }));
        }
        var twice = entries.GroupBy(e => e.Manifest.Platform).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
        {
            throw new InvalidDataException($"two images for {twice.Key}: {string.Join(" and ", twice.Select(e => e.Source))}");
        }
        return new ManifestList(name.ToString(), entries);
    }

    private static async Task<ImageConfig> ReadConfigAsync(RegistryRepository repository, Descriptor config, CancellationToken cancellationToken)
    {
        const int MaxConfigSize = 16 << 20;
        if (config.Size > MaxConfigSize)
        {
            throw new RegistryException(repository.Registry, repository.Name, "read", null, $"config {config.Digest} is {config.Size} bytes; configs are read up to {MaxConfigSize}");
        }
        try
        {
            return OciJson.Deserialize(await repository.Blobs.ReadVerifiedAsync(config, cancellationToken).ConfigureAwait(false), OciJson.Config);
        }
        catch (InvalidDataException e)
        {
            throw new RegistryException(repository.Registry, repository.Name, "read", null, e.Message);
        }
    }

    /// <summary>
    /// Pushes <paramref name="list"/> as an index to <paramref name="destination"/>: each image's manifest by digest, its
    /// config and layers mounted from the source repository (same registry) or copied registry to registry, never
    /// through the local store; the index last.
    /// </summary>
    public static async Task<Descriptor> PushAsync(RegistryClient registries, ManifestList list, ImageReference destination,
        IProgress<TransferEvent>? progress, CancellationToken cancellationToken)
    {
        var target = await registries.RepositoryAsync(destination.Registry, destination.Repository, push: true, cancellationToken).ConfigureAwait(false);
        foreach (var entry in list.Entries)
        {
            var source = ImageReference.Parse(entry.Source);
            var from = await registries.RepositoryAsync(source.Registry, source.Repository, push: false, cancellationToken).ConfigureAwait(false);
            var found = await from.Manifests.GetAsync(entry.Manifest.Digest.ToString(), cancellationToken).ConfigureAwait(false)
                ?? throw new RegistryException(source.Registry, source.Repository, "read", null, $"no image {entry.Source} any more");
            var manifest = OciJson.ParseManifest(found.Bytes, found.Descriptor.MediaType).Value;
            foreach (var blob in manifest.Layers.Append(manifest.Config).DistinctBy(b => b.Digest))
            {
                progress?.Report(await CopyBlobAsync(from, target, blob, cancellationToken).ConfigureAwait(false));
            }
            await target.Manifests.PutAsync(entry.Manifest.Digest.ToString(), found.Descriptor.MediaType, found.Bytes, cancellationToken).ConfigureAwait(false);
        }
        var index = list.Index();
        await target.Manifests.PutAsync(destination.Tag ?? ImageReference.DefaultTag, index.Descriptor.MediaType, index.Bytes, cancellationToken).ConfigureAwait(false);
        return index.Descriptor;
    }

    private static async Task<TransferEvent> CopyBlobAsync(RegistryRepository from, RegistryRepository to, Descriptor blob, CancellationToken cancellationToken)
    {
        if (await to.Blobs.ExistsAsync(blob.Digest, cancellationToken).ConfigureAwait(false) is not null)
        {
            return new TransferEvent(blob.Digest, TransferStatus.AlreadyExists);
        }
        if (from.Registry == to.Registry && await to.Blobs.TryMountAsync(blob.Digest, from.Name, cancellationToken).ConfigureAwait(false))
        {
            return new TransferEvent(blob.Digest, TransferStatus.Mounted, from.Name);
        }
        // Another registry (or one that would not mount): streamed from one to the other, nothing kept here.
        await to.Blobs.PushAsync(blob, ct => from.Blobs.OpenReadAsync(blob.Digest, 0, ct), cancellationToken).ConfigureAwait(false);
        return new TransferEvent(blob.Digest, TransferStatus.Pushed);
    }
}

/// <summary>The manifest lists <c>builder manifest create</c> made, kept until pushed (a directory of JSON files, one per name).</summary>
public sealed class ManifestListStore(string directory)
{
    public async Task SaveAsync(ManifestList list, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var path = PathOf(list.Name);
        var temporary = path + $".{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(temporary, JsonSerializer.SerializeToUtf8Bytes(list, ManifestListJson.Default.ManifestList), cancellationToken)
            .ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The list named <paramref name="name"/>, or null when there is none.</summary>
    public async Task<ManifestList?> LoadAsync(string name, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false), ManifestListJson.Default.ManifestList);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the manifest list {name} ({path}) is damaged: {e.Message}", e);
        }
    }

    public bool Remove(string name)
    {
        var path = PathOf(name);
        var existed = File.Exists(path);
        File.Delete(path);
        return existed;
    }

    // Named by the digest of the name: any reference maps to one safe file name.
    private string PathOf(string name) => Path.Combine(directory, Digest.Of(System.Text.Encoding.UTF8.GetBytes(name)).Hex + ".json");
}

[JsonSerializable(typeof(ManifestList))]
internal sealed partial class ManifestListJson : JsonSerializerContext;
