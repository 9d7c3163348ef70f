using Builder.Sandbox;
using Builder.Sandbox.Runtime;
using Builder.Sandbox.Snapshots;

namespace Builder.Cli;

/// <summary>The sandbox the verbs run steps in: snapshots and runtime state kept beside the image store.</summary>
internal sealed class SandboxHost(OverlaySnapshotter snapshotter, IExecutor executor) : IAsyncDisposable
{
    public ISnapshotter Snapshotter { get; } = snapshotter;

    /// <summary>The extracted layers the snapshots stack, shared with the engine's reads of stage file systems.</summary>
    public LayerCache Layers { get; } = snapshotter.Layers;

    public IExecutor Executor { get; } = executor;

    public static Task<SandboxHost> OpenAsync(string storeRoot, Action<string> log, CancellationToken cancellationToken)
    {
        _ = log;
        cancellationToken.ThrowIfCancellationRequested();
        var root = Path.Combine(storeRoot, "sandbox");
        return Task.FromResult(new SandboxHost(new OverlaySnapshotter(root), new RuncExecutor(Path.Combine(root, "run"))));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
