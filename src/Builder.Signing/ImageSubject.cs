using Builder.Oci;

namespace Builder.Signing;

/// <summary>An image an attestation is about: a name for people (a tag, or the digest) and its manifest digest.</summary>
public sealed record ImageSubject(string Name, Digest Digest);
