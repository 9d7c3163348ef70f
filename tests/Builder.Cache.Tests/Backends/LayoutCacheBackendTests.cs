using System.Text.Json.Nodes;
using Builder.Cache.Backends;
using Builder.IntegrationTests.Fixtures;
using Builder.Oci;

namespace Builder.Cache.Tests.Backends;

/// <summary>The conformance suite over OCI layout directories, and what is particular to them.</summary>
public sealed class LayoutCacheBackendTests : CacheBackendConformance, IDisposable
{
    private readonly TempDirectory _temp = new("layout-cache");

    private static CacheSpec Spec(string directory) => new(null, directory, CacheSpec.DefaultTag);

    protected override async Task<ICacheBackend> OpenAsync(string place, bool push) =>
        await LayoutCacheBackend.OpenAsync(Spec(_temp.Combine(place)), push, CancellationToken.None);

    protected override Task<int?> RequestsMentioningAsync(string fragment) => Task.FromResult<int?>(null);

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task The_directory_is_an_OCI_layout_whose_index_names_entries_by_their_bare_tags()
    {
        var tag = CacheEntries.MountTag("main", "nuget");
        var manifest = """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"""u8.ToArray();
        using (var backend = await OpenAsync("layout", push: true))
        {
            await backend.PutEntryAsync(tag, manifest, CancellationToken.None);
        }

        var root = _temp.Combine("layout");
        Assert.Equal("1.0.0", JsonNode.Parse(File.ReadAllText(Path.Combine(root, "oci-layout")))!["imageLayoutVersion"]!.GetValue<string>());
        var entry = Assert.Single(JsonNode.Parse(File.ReadAllText(Path.Combine(root, "index.json")))!["manifests"]!.AsArray());
        Assert.Equal(tag, entry!["annotations"]!["org.opencontainers.image.ref.name"]!.GetValue<string>());
        Assert.Equal(MediaTypes.OciManifest, entry["mediaType"]!.GetValue<string>());
        Assert.Equal(manifest, File.ReadAllBytes(Path.Combine(root, "blobs", "sha256", Digest.Of(manifest).Hex)));
    }

    [Fact]
    public async Task Importing_from_a_directory_without_a_layout_fails_and_creates_nothing()
    {
        var missing = _temp.Combine("never-saved");

        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => OpenAsync("never-saved", push: false));

        Assert.False(Directory.Exists(missing));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"schemaVersion":2,"manifests":null}""")]
    [InlineData("""{"schemaVersion":2,"manifests":[{"size":2}]}""")]
    [InlineData("""{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:../../x","size":2}]}""")]
    public async Task A_damaged_index_is_invalid_data_not_a_crash(string index)
    {
        using var backend = await OpenAsync("damaged", push: true);
        File.WriteAllText(_temp.Combine("damaged", "index.json"), index);

        await Assert.ThrowsAsync<InvalidDataException>(() => backend.GetEntryAsync("buildcache-x", CancellationToken.None));
    }

    [Fact]
    public async Task An_entry_whose_blob_was_altered_is_refused()
    {
        var tag = CacheEntries.StepTag("buildcache", Digest.Of([7]));
        using var backend = await OpenAsync("altered", push: true);
        var manifest = """{"schemaVersion":2,"layers":[]}"""u8.ToArray();
        await backend.PutEntryAsync(tag, manifest, CancellationToken.None);
        var path = _temp.Combine("altered", "blobs", "sha256", Digest.Of(manifest).Hex);
        File.SetAttributes(path, FileAttributes.Normal);
        var flipped = manifest.ToArray();
        flipped[^2] ^= 1;
        File.WriteAllBytes(path, flipped);

        await Assert.ThrowsAnyAsync<IOException>(() => backend.GetEntryAsync(tag, CancellationToken.None));
    }
}
