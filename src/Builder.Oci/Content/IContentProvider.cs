namespace Builder.Oci.Content;

/// <summary>Reads committed blobs by digest (containerd's Provider role). Readers never see uncommitted bytes.</summary>
public interface IContentProvider
{
    /// <summary>Opens a committed blob for reading.</summary>
    /// <exception cref="ContentNotFoundException">No blob with <paramref name="digest"/> is committed.</exception>
    Task<Stream> OpenReadAsync(Digest digest, CancellationToken cancellationToken);

    /// <summary>The size and commit time of a blob, or null when it is not committed.</summary>
    Task<ContentInfo?> InfoAsync(Digest digest, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(Digest digest, CancellationToken cancellationToken);
}

/// <summary>What a store knows about a committed blob.</summary>
public sealed record ContentInfo(Digest Digest, long Size, DateTimeOffset CommittedAt);
