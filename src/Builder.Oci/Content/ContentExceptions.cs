namespace Builder.Oci.Content;

/// <summary>A blob that was asked for is not in the store.</summary>
public sealed class ContentNotFoundException(Digest digest)
    : IOException($"blob {digest} is not in the content store")
{
    public Digest Digest { get; } = digest;
}

/// <summary>Written content did not match what the caller said it would be; nothing was committed.</summary>
public sealed class ContentVerificationException(string message) : IOException(message)
{
    internal static ContentVerificationException SizeMismatch(long expected, long actual, Digest actualDigest) =>
        new($"content size mismatch: expected {expected} bytes, wrote {actual} ({actualDigest}); nothing was committed");

    internal static ContentVerificationException DigestMismatch(Digest expected, Digest actual, long size) =>
        new($"content digest mismatch: expected {expected}, wrote {actual} ({size} bytes); nothing was committed");
}
