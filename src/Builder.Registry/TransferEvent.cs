using Builder.Oci;

namespace Builder.Registry;

/// <summary>What happened to one blob during a pull or a push, for progress output.</summary>
public sealed record TransferEvent(Digest Digest, TransferStatus Status, string? Source = null);

public enum TransferStatus
{
    /// <summary>Pull: the local store already had it. Push: the registry already had it.</summary>
    AlreadyExists,

    /// <summary>Push: the registry mounted it from <see cref="TransferEvent.Source"/>, a repository of the same registry.</summary>
    Mounted,

    Pushed,

    Downloaded,
}
