using Builder.Oci.Content;
using Builder.Registry;
using Builder.Sandbox;

namespace Builder.Engine;

/// <summary>
/// The one composition root of the CLI's verbs and the MSBuild tasks: the store at <c>$BUILDER_ROOT</c> under a lease of
/// this process (what it reads and writes is safe from a concurrent prune until it is disposed), and, for the verbs
/// that run steps, the sandbox of that lease. Both front ends build images through <see cref="CreateBuilderAsync"/>,
/// so `builder run` sees what MSBuild built and the two cannot drift apart in how the engine is put together.
/// </summary>
public sealed class EngineHost : IDisposable
{
    private SandboxServices? _sandbox;

    private EngineHost(OciLayoutStore store, StoreLease lease)
    {
        Store = store;
        Lease = lease;
        store.Lease = lease;
    }

    public OciLayoutStore Store { get; }

    public StoreLease Lease { get; }

    /// <summary>Opens the store at <c>$BUILDER_ROOT</c> (or the default location) and takes this process's lease on it.</summary>
    public static async Task<EngineHost> OpenAsync(CancellationToken cancellationToken)
    {
        var store = await OciLayoutStore.OpenAsync(StoreLocation.Resolve(), cancellationToken).ConfigureAwait(false);
        return new EngineHost(store, StoreLeases.Acquire(store.Root));
    }

    /// <summary>
    /// The sandbox of this lease, opened once; opening it first clears what killed builds left behind.
    /// <paramref name="log"/> gets the sandbox's notices (which snapshotter it chose and why).
    /// </summary>
    public async Task<SandboxServices> SandboxAsync(Action<string> log, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return _sandbox ??= await SandboxServices.OpenAsync(Store.Root, Lease, log).ConfigureAwait(false);
    }

    /// <summary>An image builder over this store and sandbox, reaching registries through <paramref name="registries"/>.</summary>
    public async Task<ImageBuilder> CreateBuilderAsync(RegistryClient registries, Action<string> log, CancellationToken cancellationToken)
    {
        var sandbox = await SandboxAsync(log, cancellationToken).ConfigureAwait(false);
        return new ImageBuilder(Store, sandbox.Snapshotter, sandbox.Layers, sandbox.Executor, registries);
    }

    public void Dispose() => Lease.Dispose();
}
