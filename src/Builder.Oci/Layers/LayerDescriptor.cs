namespace Builder.Oci.Layers;

/// <summary>
/// A written layer: the blob's descriptor (digest and size of the bytes written to the destination) and its
/// diffID (sha256 of the uncompressed tar, what an image config's <c>rootfs.diff_ids</c> lists).
/// </summary>
public sealed record LayerDescriptor(Descriptor Compressed, Digest DiffId, long UncompressedSize);
