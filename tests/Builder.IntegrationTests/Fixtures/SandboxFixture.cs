using System.Text;
using Builder.Oci;
using Builder.Oci.Archives;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.Layers;
using Builder.Sandbox;
using Builder.Sandbox.Runtime;
using Builder.Sandbox.Snapshots;

namespace Builder.IntegrationTests.Fixtures;

/// <summary>A store with a busybox image, an overlay snapshotter and a runc executor under one temp directory.</summary>
public sealed class SandboxFixture : IAsyncDisposable
{
    private readonly TempDirectory _temp = new("sandbox");

    private SandboxFixture(OciLayoutStore store, IReadOnlyList<ILayer> baseLayers, bool copy)
    {
        Store = store;
        BaseLayers = baseLayers;
        Snapshotter = copy ? new CopySnapshotter(_temp.Combine("snapshots")) : new OverlaySnapshotter(_temp.Combine("snapshots"));
        Executor = new RuncExecutor(_temp.Combine("run"));
    }

    public OciLayoutStore Store { get; }

    public IReadOnlyList<ILayer> BaseLayers { get; }

    public ISnapshotter Snapshotter { get; }

    public RuncExecutor Executor { get; }

    public string Root => _temp.Path;

    /// <param name="copy">Use the copy snapshotter (the fallback where overlayfs is unavailable) instead of overlay.</param>
    public static async Task<SandboxFixture> CreateAsync(string? rootfs = null, bool copy = false)
    {
        ExternalTool.Require("runc");
        var temp = new TempDirectory("sandbox-base");
        rootfs ??= await BaseRootfs.CreateBusyboxAsync(temp.Combine("busybox"));
        var store = await OciLayoutStore.OpenAsync(Path.Combine(Path.GetTempPath(), "builder-sandbox-store-" + Guid.NewGuid().ToString("N")), CancellationToken.None);
        var manifest = await ImageImport.ImportRootfsAsync(store, rootfs, Platform.Host, DateTimeOffset.UnixEpoch, null, CancellationToken.None);
        var image = await StoredImage.LoadAsync(store, manifest.Descriptor, null, CancellationToken.None);
        temp.Dispose();
        return new SandboxFixture(store, image.Layers, copy);
    }

    /// <summary>Runs a shell script on <paramref name="layers"/>; returns exit code, stdout, stderr and the snapshot (caller disposes).</summary>
    public async Task<(int ExitCode, string Out, string Error, ISnapshot Snapshot)> RunAsync(
        IReadOnlyList<ILayer> layers, string script, Func<ExecSpec, ExecSpec>? adjust = null, CancellationToken cancellationToken = default)
    {
        var snapshot = await Snapshotter.PrepareAsync(layers, cancellationToken);
        var spec = new ExecSpec { Args = ["/bin/sh", "-c", script] };
        spec = adjust?.Invoke(spec) ?? spec;
        using var output = new MemoryStream();
        using var error = new MemoryStream();
        var code = await Executor.RunAsync(spec, snapshot, new ProcessIo(null, output, error), cancellationToken);
        return (code, Encoding.UTF8.GetString(output.ToArray()), Encoding.UTF8.GetString(error.ToArray()), snapshot);
    }

    /// <summary>Commits the snapshot's diff as a layer and returns the layers with it on top.</summary>
    public async Task<IReadOnlyList<ILayer>> CommitAsync(IReadOnlyList<ILayer> below, ISnapshot snapshot)
    {
        var diff = await Snapshotter.CommitDiffAsync(snapshot, Store, new LayerWriterOptions(), CancellationToken.None)
            ?? throw new InvalidOperationException("the step changed nothing");
        return [.. below, new StoredLayer(Store, diff.Compressed, diff.DiffId)];
    }

    public async ValueTask DisposeAsync()
    {
        _temp.Dispose();
        if (Directory.Exists(Store.Root))
        {
            Directory.Delete(Store.Root, recursive: true);
        }
        await ValueTask.CompletedTask;
    }
}
