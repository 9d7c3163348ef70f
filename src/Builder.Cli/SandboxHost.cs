using Builder.Sandbox;
using Builder.Sandbox.Snapshots;

namespace Builder.Cli;

/// <summary>The sandbox the verbs run steps in, held by the verb's lease on the store (<see cref="SandboxServices"/>).</summary>
internal sealed class SandboxHost(SandboxServices services) : IAsyncDisposable
{
    public ISnapshotter Snapshotter => services.Snapshotter;

    /// <summary>The extracted layers (overlay lowers, and how the engine reads a stage's files without mounting).</summary>
    public LayerCache Layers => services.Layers;

    public IExecutor Executor => services.Executor;

    public static async Task<SandboxHost> OpenAsync(LocalImages images, Action<string> log, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new SandboxHost(await SandboxServices.OpenAsync(images.Store.Root, images.Lease, log));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
