using Builder.Oci.Content;
using Builder.Oci.Images;

namespace Builder.Oci.Tests.Content;

/// <summary>Leases: what a live build holds survives prune; a dead build's lease is found dead however it died.</summary>
public sealed class StoreLeasesTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly string _root = Directory.CreateTempSubdirectory("leases-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_blob_a_live_lease_holds_survives_prune_with_what_its_manifest_references()
    {
        var store = await OciLayoutStore.OpenAsync(_root, None);
        using var lease = StoreLeases.Acquire(_root);
        store.Lease = lease;
        // What a build does: layers and config written, then the manifest, all before the tag.
        var layer = await store.WriteBlobAsync(MediaTypes.OciLayer, "layer"u8.ToArray(), None);
        var config = await store.WriteBlobAsync(MediaTypes.OciConfig, "{}"u8.ToArray(), None);
        var manifest = await store.WriteBlobAsync(OciJson.ToBlob(new ImageManifest { Config = config, Layers = [layer] }), None);
        var unheld = await new OciLayoutStoreWithoutLease(_root).WriteAsync("nobody holds this"u8.ToArray());

        var pruned = await PruneAsync(store);

        Assert.Equal([unheld], pruned.RemovedBlobs);
        foreach (var digest in new[] { layer.Digest, config.Digest, manifest.Digest })
        {
            Assert.True(File.Exists(Path.Combine(_root, "blobs", "sha256", digest.Hex)));
        }
    }

    [Fact]
    public async Task An_ended_lease_holds_nothing()
    {
        var store = await OciLayoutStore.OpenAsync(_root, None);
        var lease = StoreLeases.Acquire(_root);
        store.Lease = lease;
        var blob = await store.WriteBlobAsync(MediaTypes.OciLayer, "layer"u8.ToArray(), None);
        lease.Dispose();

        var pruned = await PruneAsync(store);

        Assert.Equal([blob.Digest], pruned.RemovedBlobs);
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(_root, StoreLeases.DirectoryName)), f => !Path.GetFileName(f).StartsWith('.'));
    }

    [Fact]
    public async Task A_lease_whose_process_was_killed_is_dead_and_its_file_goes()
    {
        var blob = Digest.Of("held by the child"u8.ToArray());
        using (var child = StoreChild.Start("lease-and-hang", _root, blob.ToString()))
        {
            var line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
            LiveLeases live;
            using (StoreLeases.LockForSweep(_root))
            {
                live = StoreLeases.Collect(_root);
            }
            child.Kill(entireProcessTree: true); // SIGKILL: the lease file stays behind, its flock does not
            await child.WaitForExitAsync();
            Assert.True(line == "held", $"child said {line}: {await child.StandardError.ReadToEndAsync()}");
            Assert.Single(live.Ids);
            Assert.Contains(blob, live.Blobs);
        }

        using (StoreLeases.LockForSweep(_root))
        {
            var live = StoreLeases.Collect(_root);
            Assert.Empty(live.Ids);
            Assert.Empty(live.Blobs);
        }
        Assert.Single(Directory.GetFiles(Path.Combine(_root, StoreLeases.DirectoryName))); // only the sweep lock
    }

    [Fact]
    public async Task A_hold_waits_while_a_sweep_runs()
    {
        using var lease = StoreLeases.Acquire(_root);
        var sweep = StoreLeases.LockForSweep(_root);
        var hold = Task.Run(() => lease.Hold(LeaseKind.Layer, "abc"));

        await Task.Delay(300);
        Assert.False(hold.IsCompleted);
        sweep.Dispose();
        await hold.WaitAsync(TimeSpan.FromSeconds(10));

        using (StoreLeases.LockForSweep(_root))
        {
            Assert.True(StoreLeases.Collect(_root).Holds(LeaseKind.Layer, "abc"));
        }
    }

    private async Task<PruneResult> PruneAsync(OciLayoutStore store)
    {
        using (StoreLeases.LockForSweep(_root))
        {
            var live = StoreLeases.Collect(_root);
            return await store.PruneAsync(new PruneOptions { LeasedBlobs = live.Blobs }, None);
        }
    }

    /// <summary>A second store instance on the same root with no lease: what another process writes.</summary>
    private sealed class OciLayoutStoreWithoutLease(string root)
    {
        public async Task<Digest> WriteAsync(byte[] bytes) =>
            (await (await OciLayoutStore.OpenAsync(root, None)).WriteBlobAsync(MediaTypes.OciLayer, bytes, None)).Digest;
    }
}
