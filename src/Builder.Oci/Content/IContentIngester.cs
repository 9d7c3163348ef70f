namespace Builder.Oci.Content;

/// <summary>Writes new blobs (containerd's Ingester role): write to a writer, then commit to make the blob visible.</summary>
public interface IContentIngester
{
    /// <summary>A writer that hashes with <paramref name="digestAlgorithm"/> (<see cref="Digest.Sha256"/> or <see cref="Digest.Sha512"/>).</summary>
    Task<IContentWriter> OpenWriterAsync(string digestAlgorithm, CancellationToken cancellationToken);
}

/// <summary>
/// One blob being written. Bytes written to <see cref="Stream"/> are hashed as they go; nothing is visible to
/// readers until <see cref="CommitAsync"/> succeeds. Disposing an uncommitted writer discards what was written.
/// </summary>
public interface IContentWriter : IAsyncDisposable, IDisposable
{
    /// <summary>A write-only stream for the blob's bytes.</summary>
    Stream Stream { get; }

    /// <summary>Bytes written so far.</summary>
    long Written { get; }

    /// <summary>
    /// Verifies the written bytes against <paramref name="expected"/> and <paramref name="expectedSize"/> (when given),
    /// makes them durable and visible under their digest, and returns their descriptor. Committing a blob that is
    /// already present is a no-op that returns the same descriptor.
    /// </summary>
    /// <exception cref="ContentVerificationException">Size or digest differ; nothing becomes visible and the writer is spent.</exception>
    Task<Descriptor> CommitAsync(string mediaType, Digest? expected, long? expectedSize, CancellationToken cancellationToken);
}
