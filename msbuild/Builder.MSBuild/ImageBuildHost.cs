using Builder.Oci.Content;
using Builder.Registry;
using Builder.Registry.Credentials;
using Builder.Sandbox;
using Builder.Sandbox.Runtime;
using Builder.Sandbox.Snapshots;

namespace Builder.MSBuild;

/// <summary>The engine's parts as the CLI composes them, over the same store ($BUILDER_ROOT), so `builder run` sees what MSBuild built.</summary>
internal sealed class ImageBuildHost : IDisposable
{
    private readonly StoreLease _lease;

    private ImageBuildHost(OciLayoutStore store, StoreLease lease, ISnapshotter snapshotter, LayerCache layers, RuncExecutor executor, RegistryClient registries)
    {
        _lease = lease;
        Store = store;
        Snapshotter = snapshotter;
        Layers = layers;
        Executor = executor;
        Registries = registries;
    }

    public OciLayoutStore Store { get; }

    public ISnapshotter Snapshotter { get; }

    public LayerCache Layers { get; }

    public RuncExecutor Executor { get; }

    public RegistryClient Registries { get; }

    public static async Task<ImageBuildHost> OpenAsync(CancellationToken cancellationToken)
    {
        if (!RootlessReexec.IsNamespaceRoot)
        {
            throw new InvalidOperationException(
                "BuildImage runs build steps in the sandbox, which needs root (or a user namespace): run the build as root, or under `unshare --user --map-root-user --map-auto --mount`");
        }
        var store = await OciLayoutStore.OpenAsync(StoreLocation.Resolve(), cancellationToken).ConfigureAwait(false);
        // The task's lease: what this build uses is safe from a concurrent `builder prune` until the task ends.
        var lease = StoreLeases.Acquire(store.Root);
        store.Lease = lease;
        var sandbox = await SandboxServices.OpenAsync(store.Root, lease, _ => { }).ConfigureAwait(false);
        return new ImageBuildHost(store, lease, sandbox.Snapshotter, sandbox.Layers, sandbox.Executor,
            new RegistryClient(RegistryOptions.FromEnvironment(Environment.GetEnvironmentVariable), new DockerCredentialProvider()));
    }

    public void Dispose()
    {
        Registries.Dispose();
        _lease.Dispose();
    }
}
