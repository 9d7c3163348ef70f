using System.Text;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.References;
using Builder.Oci.Tests.Images;

namespace Builder.Oci.Tests.Content;

/// <summary>The OCI image layout store: the conformance suite, plus what only a layout on disk has.</summary>
public sealed class OciLayoutStoreTests : ContentStoreConformanceTests, IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "builder-oci-tests", Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    protected override async Task<ContentStoreUnderTest> OpenStoreAsync()
    {
        var store = await OciLayoutStore.OpenAsync(_root, None);
        return new ContentStoreUnderTest(store, store);
    }

    private Task<OciLayoutStore> OpenAsync() => OciLayoutStore.OpenAsync(_root, None);

    private string[] IngestFiles() => Directory.GetFiles(Path.Combine(_root, "ingest"));

    private static ImageReference Ref(string text) => ImageReference.Parse(text);

    /// <summary>A small image: config + layers + manifest, all committed; returns the manifest's descriptor.</summary>
    private static async Task<(Descriptor Manifest, Descriptor Config, Descriptor[] Layers)> WriteImageAsync(OciLayoutStore store, params byte[][] layers)
    {
        var layerDescriptors = new List<Descriptor>();
        foreach (var layer in layers)
        {
            layerDescriptors.Add(await store.WriteBlobAsync(MediaTypes.OciLayer, layer, None));
        }
        var config = OciJson.ToBlob(ImageConfig.Empty(Platform.Parse("linux/amd64")) with
        {
            RootFs = RootFs.Layers([.. layerDescriptors.Select(l => l.Digest)]),
        });
        await store.WriteBlobAsync(config, None);
        var manifest = await store.WriteBlobAsync(OciJson.ToBlob(ImageManifest.Oci(config.Descriptor, layerDescriptors)), None);
        return (manifest, config.Descriptor, [.. layerDescriptors]);
    }

    [Fact]
    public async Task A_new_store_is_an_oci_image_layout_whose_files_validate()
    {
        var store = await OpenAsync();
        var (manifest, _, layers) = await WriteImageAsync(store, "layer"u8.ToArray());
        await store.SetAsync(Ref("busybox"), manifest, None);

        var layout = await File.ReadAllTextAsync(Path.Combine(_root, "oci-layout"));
        var index = await File.ReadAllTextAsync(Path.Combine(_root, "index.json"));

        Assert.Equal("""{"imageLayoutVersion":"1.0.0"}""", layout);
        Assert.Null(OciSchemaValidator.Instance.Errors(OciSchemaValidator.Layout, layout));
        Assert.Null(OciSchemaValidator.Instance.Errors(OciSchemaValidator.Index, index));
        Assert.True(File.Exists(Path.Combine(_root, "blobs", "sha256", layers[0].Digest.Hex)));
        var storedManifest = await File.ReadAllTextAsync(Path.Combine(_root, "blobs", "sha256", manifest.Digest.Hex));
        Assert.Null(OciSchemaValidator.Instance.Errors(OciSchemaValidator.Manifest, storedManifest));
    }

    [Fact]
    public async Task Opening_a_layout_of_an_unknown_major_version_fails()
    {
        Directory.CreateDirectory(_root);
        await File.WriteAllTextAsync(Path.Combine(_root, "oci-layout"), """{"imageLayoutVersion":"2.0.0"}""");

        var error = await Assert.ThrowsAsync<InvalidDataException>(OpenAsync);

        Assert.Contains("2.0.0", error.Message);
    }

    [Fact]
    public async Task Reopening_a_store_keeps_its_tags_and_blobs()
    {
        var store = await OpenAsync();
        var (manifest, _, _) = await WriteImageAsync(store, "a"u8.ToArray());
        await store.SetAsync(Ref("a"), manifest, None);

        var reopened = await OpenAsync();

        Assert.Equal(manifest, await reopened.GetAsync(Ref("a"), None));
        Assert.True(await reopened.ExistsAsync(manifest.Digest, None));
    }

    [Fact]
    public async Task A_tag_stores_the_full_reference_in_index_json_and_reads_back_without_it()
    {
        var store = await OpenAsync();
        var target = new Descriptor(MediaTypes.OciManifest, Digest.Of("m"u8), 1)
        {
            Platform = Platform.Parse("linux/amd64"),
            Annotations = new Dictionary<string, string> { ["org.example"] = "kept" },
        };

        await store.SetAsync(Ref("busybox"), target, None);

        var entry = Assert.Single((await store.ReadLayoutIndexAsync(None)).Manifests);
        Assert.Equal("docker.io/library/busybox:latest", entry.Annotations![OciLayoutStore.RefNameAnnotation]);
        Assert.Equal("kept", entry.Annotations["org.example"]);
        var read = await store.GetAsync(Ref("docker.io/library/busybox:latest"), None);
        Assert.Equal(target.Digest, read!.Digest);
        Assert.Equal(target.Platform, read.Platform);
        Assert.Equal(["org.example"], read.Annotations!.Keys);
    }

    [Fact]
    public async Task Setting_a_tag_to_what_it_already_names_leaves_index_json_untouched_and_a_change_rewrites_it()
    {
        var store = await OpenAsync();
        var target = new Descriptor(MediaTypes.OciManifest, Digest.Of("1"u8), 1) { Annotations = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" } };
        await store.SetAsync(Ref("app:1"), target, None);
        var index = Path.Combine(_root, "index.json");
        var written = Builder.Posix.LibC.LStat(index)!.Value.Inode;

        await store.SetAsync(Ref("app:1"), target with { Annotations = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" } }, None);
        var unchanged = Builder.Posix.LibC.LStat(index)!.Value.Inode;
        await store.SetAsync(Ref("app:1"), target with { Size = 2 }, None);

        // index.json is replaced by a rename, so a rewrite is a new inode.
        Assert.Equal(written, unchanged);
        Assert.NotEqual(written, Builder.Posix.LibC.LStat(index)!.Value.Inode);
        Assert.Equal(2, (await store.GetAsync(Ref("app:1"), None))!.Size);
    }

    [Fact]
    public async Task Retagging_replaces_the_old_target_and_removing_forgets_the_name()
    {
        var store = await OpenAsync();
        var first = new Descriptor(MediaTypes.OciManifest, Digest.Of("1"u8), 1);
        var second = new Descriptor(MediaTypes.OciManifest, Digest.Of("2"u8), 1);

        await store.SetAsync(Ref("app:1"), first, None);
        await store.SetAsync(Ref("app:2"), first, None);
        await store.SetAsync(Ref("app:1"), second, None);

        Assert.Equal(second, await store.GetAsync(Ref("app:1"), None));
        Assert.Equal(
            ["docker.io/library/app:1", "docker.io/library/app:2"],
            (await store.ListAsync(None)).Select(t => t.Name).Order());
        Assert.True(await store.RemoveAsync(Ref("app:1"), None));
        Assert.False(await store.RemoveAsync(Ref("app:1"), None));
        Assert.Null(await store.GetAsync(Ref("app:1"), None));
        Assert.Equal(first, await store.GetAsync(Ref("app:2"), None));
    }

    [Fact]
    public async Task Entries_that_index_json_had_before_are_kept_when_tagging()
    {
        Directory.CreateDirectory(_root);
        var untagged = new Descriptor(MediaTypes.OciManifest, Digest.Of("u"u8), 1);
        await File.WriteAllBytesAsync(Path.Combine(_root, "index.json"), OciJson.Serialize(
            ImageIndex.Oci([untagged]) with { Annotations = new Dictionary<string, string> { ["x"] = "y" } }, OciJson.Index));
        var store = await OpenAsync();

        await store.SetAsync(Ref("a"), untagged, None);

        var index = await store.ReadLayoutIndexAsync(None);
        Assert.Equal(2, index.Manifests.Count);
        Assert.Equal("y", index.Annotations!["x"]);
        Assert.Single(await store.ListAsync(None));
    }

    [Fact]
    public async Task Tags_set_from_many_threads_at_once_all_land()
    {
        var store = await OpenAsync();
        var target = new Descriptor(MediaTypes.OciManifest, Digest.Of("t"u8), 1);

        await Parallel.ForAsync(0, 40, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            await store.SetAsync(Ref($"example.com/threads:t{i}"), target, ct));

        Assert.Equal(40, (await store.ListAsync(None)).Count);
    }

    [Fact]
    public async Task Tags_set_from_two_processes_and_this_one_at_once_all_land()
    {
        await OpenAsync();

        await Task.WhenAll(
            StoreChild.RunAsync("tag", _root, "first", "30"),
            StoreChild.RunAsync("tag", _root, "second", "30"),
            Task.Run(async () =>
            {
                var store = await OpenAsync();
                await Parallel.ForAsync(0, 30, async (i, ct) =>
                    await store.SetAsync(Ref($"example.com/here:t{i}"), new Descriptor(MediaTypes.OciManifest, Digest.Of("h"u8), 1), ct));
            }));

        var names = (await (await OpenAsync()).ListAsync(None)).Select(t => t.Name).ToHashSet();
        Assert.Equal(90, names.Count);
        Assert.Contains("example.com/first:t29", names);
        Assert.Contains("example.com/second:t0", names);
        Assert.Contains("example.com/here:t7", names);
    }

    [Fact]
    public async Task Two_processes_and_this_one_committing_one_blob_at_once_all_succeed()
    {
        var store = await OpenAsync();
        var content = TestContent.Bytes(512 << 10, seed: 2);

        await Task.WhenAll(
            StoreChild.RunAsync("write-blob", _root, content.Length.ToString(), "4"),
            StoreChild.RunAsync("write-blob", _root, content.Length.ToString(), "4"),
            Task.Run(() => store.WriteBlobAsync(MediaTypes.OciLayer, content, None)));

        await using var stream = await store.OpenReadAsync(Digest.Of(content), None);
        using var read = new MemoryStream();
        await stream.CopyToAsync(read);
        Assert.Equal(content, read.ToArray());
        Assert.Empty(IngestFiles());
    }

    [Fact]
    public async Task A_writer_killed_between_write_and_commit_leaves_nothing_visible_and_prune_removes_its_temp_file()
    {
        var store = await OpenAsync();
        var content = TestContent.Bytes(300_000, seed: 1);

        using (var child = StoreChild.Start("write-and-hang", _root, content.Length.ToString()))
        {
            var line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync();
            Assert.True(line == "written", $"child said {line}: {await child.StandardError.ReadToEndAsync()}");
        }

        Assert.False(await store.ExistsAsync(Digest.Of(content), None));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "blobs", "sha256")));
        var partial = Assert.Single(IngestFiles());
        Assert.Equal(content.Length, new FileInfo(partial).Length);

        var pruned = await store.PruneAsync(new PruneOptions(), None);

        Assert.Equal(1, pruned.RemovedIngestFiles);
        Assert.Equal(content.Length, pruned.BytesFreed);
        Assert.Empty(IngestFiles());
        Assert.Equal(Digest.Of(content), (await store.WriteBlobAsync(MediaTypes.OciLayer, content, None)).Digest);
    }

    [Fact]
    public async Task Prune_leaves_a_live_writers_temp_file_alone()
    {
        var store = await OpenAsync();
        var content = TestContent.Bytes(10_000, seed: 30);

        await using var writer = await store.OpenWriterAsync(None);
        await writer.Stream.WriteAsync(content);
        await writer.Stream.FlushAsync();
        var pruned = await store.PruneAsync(new PruneOptions(), None);
        var descriptor = await writer.CommitAsync(MediaTypes.OciLayer, Digest.Of(content), content.Length, None);

        Assert.Equal(0, pruned.RemovedIngestFiles);
        Assert.True(await store.ExistsAsync(descriptor.Digest, None));
    }

    [Fact]
    public async Task Prune_keeps_everything_reachable_from_tags_and_extra_roots_and_removes_the_rest()
    {
        var store = await OpenAsync();
        byte[] shared = [.. "shared layer"u8], onlyTagged = [.. "tagged layer"u8], onlyOrphan = [.. "orphan layer"u8], cached = [.. "cached layer"u8];

        // Tagged: an index over one manifest (config + two layers).
        var tagged = await WriteImageAsync(store, shared, onlyTagged);
        var index = await store.WriteBlobAsync(OciJson.ToBlob(ImageIndex.Oci([tagged.Manifest with { Platform = Platform.Parse("linux/amd64") }])), None);
        await store.SetAsync(Ref("kept:index"), index, None);
        // Kept only because the caller names it (a cache record, say).
        var cachedImage = await WriteImageAsync(store, cached);
        // Unreferenced: a manifest sharing a layer with the tagged one, and a loose blob.
        var orphan = await WriteImageAsync(store, shared, onlyOrphan);
        var loose = await store.WriteBlobAsync(MediaTypes.OciLayer, "loose"u8.ToArray(), None);

        var result = await store.PruneAsync(new PruneOptions { ExtraRoots = [cachedImage.Manifest] }, None);

        Digest[] expectedRemoved = [orphan.Manifest.Digest, orphan.Config.Digest, orphan.Layers[1].Digest, loose.Digest];
        Assert.Equal(expectedRemoved.Select(d => d.ToString()).Order(), result.RemovedBlobs.Select(d => d.ToString()).Order());
        Assert.Equal(orphan.Manifest.Size + orphan.Config.Size + orphan.Layers[1].Size + loose.Size, result.BytesFreed);
        Digest[] kept = [index.Digest, tagged.Manifest.Digest, tagged.Config.Digest, .. tagged.Layers.Select(l => l.Digest),
            cachedImage.Manifest.Digest, cachedImage.Config.Digest, cachedImage.Layers[0].Digest];
        foreach (var digest in kept)
        {
            Assert.True(await store.ExistsAsync(digest, None), $"{digest} was pruned");
        }
        Assert.Empty((await store.PruneAsync(new PruneOptions { ExtraRoots = [cachedImage.Manifest] }, None)).RemovedBlobs);
    }

    [Fact]
    public async Task A_referrer_is_listed_once_unnamed_in_index_json_kept_by_prune_and_not_taken_for_a_tag()
    {
        var store = await OpenAsync();
        var (image, _, _) = await WriteImageAsync(store, "image layer"u8.ToArray());
        var (artifact, config, layers) = await WriteImageAsync(store, "signature"u8.ToArray());
        var referrer = artifact with { ArtifactType = "application/vnd.example.signature" };

        await store.AddReferrerAsync(referrer, None);
        await store.AddReferrerAsync(referrer, None);
        await store.SetAsync(Ref("app:1"), image, None);
        await store.PruneAsync(new PruneOptions(), None);

        var index = await store.ReadLayoutIndexAsync(None);
        var listed = Assert.Single(index.Manifests, d => d.Digest == artifact.Digest);
        Assert.Equal("application/vnd.example.signature", listed.ArtifactType);
        Assert.Null(OciSchemaValidator.Instance.Errors(OciSchemaValidator.Index, await File.ReadAllTextAsync(Path.Combine(_root, "index.json"))));
        Assert.Equal(["docker.io/library/app:1"], (await store.ListAsync(None)).Select(t => t.Name));
        Assert.True(await store.ExistsAsync(config.Digest, None));
        Assert.True(await store.ExistsAsync(layers[0].Digest, None));
    }

    /// <summary>An artifact manifest (one layer) whose subject is <paramref name="subject"/>, listed as a referrer.</summary>
    private static async Task<(Descriptor Manifest, Descriptor Layer)> AddArtifactAsync(OciLayoutStore store, Descriptor subject, string content)
    {
        var layer = await store.WriteBlobAsync("application/vnd.example.document", System.Text.Encoding.UTF8.GetBytes(content), None);
        var config = await store.WriteBlobAsync(MediaTypes.OciEmpty, "{}"u8.ToArray(), None);
        var manifest = await store.WriteBlobAsync(OciJson.ToBlob(ImageManifest.Oci(config, [layer]) with { ArtifactType = "application/vnd.example", Subject = subject }), None);
        await store.AddReferrerAsync(manifest with { ArtifactType = "application/vnd.example" }, None);
        return (manifest, layer);
    }

    [Fact]
    public async Task Prune_drops_referrers_whose_image_is_gone_and_keeps_those_of_named_images_and_of_kept_referrers()
    {
        var store = await OpenAsync();
        var (kept, _, _) = await WriteImageAsync(store, "kept layer"u8.ToArray());
        var (removed, _, _) = await WriteImageAsync(store, "removed layer"u8.ToArray());
        await store.SetAsync(Ref("kept:1"), kept, None);
        await store.SetAsync(Ref("removed:1"), removed, None);
        var (sbom, sbomLayer) = await AddArtifactAsync(store, kept, "sbom");
        var (signatureOfSbom, _) = await AddArtifactAsync(store, sbom, "signature of the sbom");
        var (orphan, orphanLayer) = await AddArtifactAsync(store, removed, "orphan");
        await store.RemoveAsync(Ref("removed:1"), None);

        var result = await store.PruneAsync(new PruneOptions(), None);

        var listed = (await store.ReadLayoutIndexAsync(None)).Manifests.Select(d => d.Digest).ToList();
        Assert.Contains(sbom.Digest, listed);
        Assert.Contains(signatureOfSbom.Digest, listed);
        Assert.DoesNotContain(orphan.Digest, listed);
        Assert.True(await store.ExistsAsync(sbomLayer.Digest, None));
        Assert.Contains(orphan.Digest, result.RemovedBlobs);
        Assert.Contains(orphanLayer.Digest, result.RemovedBlobs);
        Assert.Contains(removed.Digest, result.RemovedBlobs);
    }

    [Fact]
    public async Task Prune_can_spare_unreferenced_blobs_younger_than_a_grace_period()
    {
        var store = await OpenAsync();
        var old = await store.WriteBlobAsync(MediaTypes.OciLayer, "old"u8.ToArray(), None);
        var fresh = await store.WriteBlobAsync(MediaTypes.OciLayer, "fresh"u8.ToArray(), None);
        File.SetLastWriteTimeUtc(Path.Combine(_root, "blobs", "sha256", old.Digest.Hex), DateTime.UtcNow.AddHours(-2));

        var result = await store.PruneAsync(new PruneOptions { KeepNewerThan = TimeSpan.FromHours(1) }, None);

        Assert.Equal([old.Digest], result.RemovedBlobs);
        Assert.True(await store.ExistsAsync(fresh.Digest, None));
    }

    [Fact]
    public async Task Prune_keeps_a_tagged_manifest_whose_blobs_were_never_pulled()
    {
        var store = await OpenAsync();
        var absent = new Descriptor(MediaTypes.OciManifest, Digest.Of("not here"u8), 8);
        await store.SetAsync(Ref("partial"), absent, None);
        var loose = await store.WriteBlobAsync(MediaTypes.OciLayer, Encoding.UTF8.GetBytes("loose"), None);

        var result = await store.PruneAsync(new PruneOptions(), None);

        Assert.Equal([loose.Digest], result.RemovedBlobs);
        Assert.NotNull(await store.GetAsync(Ref("partial"), None));
    }
}
