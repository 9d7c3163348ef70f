using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.Layers;
using Builder.Posix;

namespace Builder.Sandbox.Snapshots;

/// <summary>
/// Snapshots as overlayfs stacks: lowers are the cached layer directories, the upper is the step's diff. The runtime
/// mounts the overlay through its spec; the diff is read from the upper without mounting anything here.
/// </summary>
public sealed class OverlaySnapshotter(string root, LayerCache layers) : ISnapshotter
{
    private readonly LayerCache _layers = layers;

    public OverlaySnapshotter(string root)
        : this(root, new LayerCache(Path.Combine(root, "layers")))
    {
    }

    public string Root { get; } = root;

    /// <summary>The extracted layers the snapshots stack (also how the engine reads a stage's files without mounting: <see cref="LayerCache.ViewAsync"/>).</summary>
    public LayerCache Layers => _layers;

    public async Task<ISnapshot> PrepareAsync(IReadOnlyList<ILayer> parents, CancellationToken cancellationToken)
    {
        var lowers = await _layers.EnsureStackAsync(parents, cancellationToken).ConfigureAwait(false); // top first, as overlayfs lists them
        if (lowers.Count == 0)
        {
            // overlayfs needs at least one lower directory; scratch gets an empty one.
            var empty = Path.Combine(Root, "empty");
            Directory.CreateDirectory(empty);
            lowers.Add(empty);
        }
        // The same layer twice (two RUNs that changed nothing, two identical COPYs) is one directory, and overlayfs refuses a
        // lowerdir listed twice (ELOOP). The topmost copy already shadows everything the lower one shows: keep only it.
        lowers = [.. lowers.Distinct(StringComparer.Ordinal)];
        var directory = Path.Combine(Path.GetFullPath(Root), "snapshots", Guid.NewGuid().ToString("N"));
        _layers.Lease?.Hold(LeaseKind.Path, directory);
        var upper = Path.Combine(directory, "upper");
        var work = Path.Combine(directory, "work");
        Directory.CreateDirectory(upper);
        Directory.CreateDirectory(work);
        // The upper's root directory becomes "/" of the merged view: give it the base's metadata.
        if (LibC.LStat(lowers[0]) is { } top)
        {
            LibC.Chmod(upper, top.Mode & 0b111_111_111_111);
        }
        return new OverlaySnapshot(new OverlaySnapshotMount(lowers, upper, work), directory);
    }

    /// <summary>
    /// Writes the upper directory as a layer, then keeps the upper itself as that layer's extracted copy: it is
    /// already in overlay form, so the next step stacks it as a lower without extracting the tar again.
    /// </summary>
    public async Task<LayerDescriptor?> CommitDiffAsync(ISnapshot snapshot, IContentIngester store, LayerWriterOptions options, CancellationToken cancellationToken)
    {
        if (snapshot.Mount is not OverlaySnapshotMount overlay)
        {
            throw new ArgumentException("not an overlay snapshot", nameof(snapshot));
        }
        var layer = await UpperDiff.WriteAsync(overlay.UpperDirectory, store, options, cancellationToken).ConfigureAwait(false);
        if (layer is not null)
        {
            await _layers.AdoptAsync(layer.DiffId, overlay.UpperDirectory, cancellationToken).ConfigureAwait(false);
        }
        return layer;
    }

    private sealed class OverlaySnapshot(OverlaySnapshotMount mount, string directory) : ISnapshot
    {
        public SnapshotMount Mount { get; } = mount;

        public ValueTask DisposeAsync()
        {
            LayerCache.DeleteTree(directory);
            return ValueTask.CompletedTask;
        }
    }
}
