using Builder.Sandbox;
using Builder.Sandbox.Runtime;
using Builder.Sandbox.Snapshots;

namespace Builder.Cli;

/// <summary>The sandbox the verbs run steps in: snapshots and runtime state kept beside the image store.</summary>
internal sealed class SandboxHost(ISnapshotter snapshotter, LayerCache layers, IExecutor executor) : IAsyncDisposable
{
    public ISnapshotter Snapshotter { get; } = snapshotter;

    /// <summary>The extracted layers (overlay lowers, and how the engine reads a stage's files without mounting).</summary>
    public LayerCache Layers { get; } = layers;

    public IExecutor Executor { get; } = executor;

    public static Task<SandboxHost> OpenAsync(string storeRoot, Action<string> log, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var root = Path.Combine(storeRoot, "sandbox");
        Directory.CreateDirectory(root);
        var layers = new LayerCache(Path.Combine(root, "layers"));
        var snapshotter = Snapshotters.Create(root, layers, log);
        return Task.FromResult(new SandboxHost(snapshotter, layers, new RuncExecutor(Path.Combine(root, "run"))));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
