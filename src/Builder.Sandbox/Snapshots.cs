using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.Layers;

namespace Builder.Sandbox;

/// <summary>
/// A writable root file system prepared from parent layers. <see cref="Mount"/> is how the runtime mounts it at "/";
/// changes made through it are the step's diff.
/// </summary>
public interface ISnapshot : IAsyncDisposable
{
    /// <summary>The root as the runtime spec mounts it (an overlay over the parents, or a directory to bind).</summary>
    SnapshotMount Mount { get; }
}

/// <summary>How a snapshot becomes "/": an overlay (lower dirs top-first, upper, work) or a plain directory.</summary>
public abstract record SnapshotMount;

public sealed record OverlaySnapshotMount(IReadOnlyList<string> LowerDirectories, string UpperDirectory, string WorkDirectory) : SnapshotMount;

public sealed record DirectorySnapshotMount(string Directory) : SnapshotMount;

/// <summary>Makes snapshots from layers and turns what a step changed into a layer (containerd's snapshotter + differ).</summary>
public interface ISnapshotter
{
    /// <summary>A writable snapshot over <paramref name="parents"/> (bottom first); each parent layer is extracted once and shared.</summary>
    Task<ISnapshot> PrepareAsync(IReadOnlyList<ILayer> parents, CancellationToken cancellationToken);

    /// <summary>
    /// Writes what changed in <paramref name="snapshot"/> since it was prepared as a layer into <paramref name="store"/>:
    /// deletions become whiteouts, replaced directories opaque markers; null when nothing changed.
    /// </summary>
    Task<LayerDescriptor?> CommitDiffAsync(ISnapshot snapshot, IContentIngester store, LayerWriterOptions options, CancellationToken cancellationToken);
}
