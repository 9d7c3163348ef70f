using Builder.Oci.Content;
using Builder.Sandbox.Runtime;
using Builder.Sandbox.Snapshots;

namespace Builder.Sandbox;

/// <summary>
/// The sandbox of one lease on a store, as the CLI and the MSBuild tasks both use it: extracted layers and
/// snapshots under <c>sandbox/</c>, held by the lease; the runtime's state in the lease's memory-backed directory.
/// Opening it first removes what killed builds left (their containers, bundles, snapshots, scratch directories).
/// </summary>
public sealed class SandboxServices
{
    private SandboxServices(ISnapshotter snapshotter, LayerCache layers, RuncExecutor executor)
    {
        Snapshotter = snapshotter;
        Layers = layers;
        Executor = executor;
    }

    public ISnapshotter Snapshotter { get; }

    /// <summary>The extracted layers (overlay lowers, and how the engine reads a stage's files without mounting).</summary>
    public LayerCache Layers { get; }

    public RuncExecutor Executor { get; }

    public static async Task<SandboxServices> OpenAsync(string storeRoot, StoreLease lease, Action<string> log)
    {
        var layout = StoreLayout.At(storeRoot);
        Directory.CreateDirectory(layout.Sandbox);
        using (StoreLeases.LockForSweep(storeRoot))
        {
            await SweepAsync(storeRoot, StoreLeases.Collect(storeRoot)).ConfigureAwait(false);
        }
        var layers = new LayerCache(layout.ExtractedLayers) { Lease = lease };
        return new SandboxServices(Snapshotters.Create(layout.Sandbox, layers, log), layers, RuncExecutor.ForLease(storeRoot, lease.Id));
    }

    /// <summary>
    /// Removes what no live lease holds among the sandbox's temporary things: dead leases' containers and runtime
    /// directories, snapshots, scratch directories and interrupted extractions. Call it under the sweep lock.
    /// </summary>
    public static async Task<int> SweepAsync(string storeRoot, LiveLeases live)
    {
        var layout = StoreLayout.At(storeRoot);
        return await RuntimeDirectories.SweepAsync(layout, live).ConfigureAwait(false)
            + new LayerCache(layout.ExtractedLayers).RemoveTemporary(live);
    }

    /// <summary>Deletes the extracted layers no image in <paramref name="keep"/> and no live lease needs. Call it under the sweep lock.</summary>
    public static int PruneLayers(string storeRoot, IReadOnlySet<Oci.Digest> keep, LiveLeases live) =>
        new LayerCache(StoreLayout.At(storeRoot).ExtractedLayers).Prune(keep, live);
}
