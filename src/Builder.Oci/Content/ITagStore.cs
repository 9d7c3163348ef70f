using Builder.Oci.References;

namespace Builder.Oci.Content;

/// <summary>Names for images in a store: a reference points at a manifest or index descriptor.</summary>
public interface ITagStore
{
    /// <summary>The descriptor <paramref name="reference"/> points at, or null.</summary>
    Task<Descriptor?> GetAsync(ImageReference reference, CancellationToken cancellationToken);

    /// <summary>Points <paramref name="reference"/> at <paramref name="target"/>, replacing what it pointed at.</summary>
    Task SetAsync(ImageReference reference, Descriptor target, CancellationToken cancellationToken);

    /// <summary>Removes the name; true when it existed. The blobs stay until pruned.</summary>
    Task<bool> RemoveAsync(ImageReference reference, CancellationToken cancellationToken);

    Task<IReadOnlyList<TaggedImage>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>A name (normally a canonical <see cref="ImageReference"/>) and what it points at.</summary>
public sealed record TaggedImage(string Name, Descriptor Target);
