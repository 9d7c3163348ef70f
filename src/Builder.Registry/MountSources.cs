using Builder.Oci;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.References;

namespace Builder.Registry;

/// <summary>
/// Where a cross-repository mount can come from: the local store's tags that name another repository of the
/// destination's registry hold their blobs there (they were pulled from or pushed to it), so the registry can
/// link those blobs instead of receiving them again.
/// </summary>
public static class MountSources
{
    public static async Task<IReadOnlyDictionary<Digest, IReadOnlyList<string>>> FindAsync(
        ITagStore tags, IContentProvider content, ImageReference destination, CancellationToken cancellationToken)
    {
        var sources = new Dictionary<Digest, List<string>>();
        foreach (var tagged in await tags.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!ImageReference.TryParse(tagged.Name, out var name)
                || !name.Registry.Equals(destination.Registry, StringComparison.OrdinalIgnoreCase)
                || name.Repository == destination.Repository)
            {
                continue;
            }
            foreach (var blob in await BlobsOfAsync(content, tagged.Target, cancellationToken).ConfigureAwait(false))
            {
                if (!sources.TryGetValue(blob, out var repositories))
                {
                    sources[blob] = repositories = [];
                }
                if (!repositories.Contains(name.Repository))
                {
                    repositories.Add(name.Repository);
                }
            }
        }
        return sources.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value);
    }

    private static async Task<IReadOnlyList<Digest>> BlobsOfAsync(IContentProvider content, Descriptor target, CancellationToken cancellationToken)
    {
        if (!await content.ExistsAsync(target.Digest, cancellationToken).ConfigureAwait(false))
        {
            return [];
        }
        if (MediaTypes.IsIndex(target.MediaType))
        {
            var index = await content.ReadIndexAsync(target, cancellationToken).ConfigureAwait(false);
            var blobs = new List<Digest>();
            foreach (var child in index.Value.Manifests)
            {
                blobs.AddRange(await BlobsOfAsync(content, child, cancellationToken).ConfigureAwait(false));
            }
            return blobs;
        }
        if (!MediaTypes.IsManifest(target.MediaType))
        {
            return [];
        }
        var manifest = await content.ReadManifestAsync(target, cancellationToken).ConfigureAwait(false);
        return [.. manifest.Value.Layers.Select(l => l.Digest), manifest.Value.Config.Digest];
    }
}
