using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using Builder.Oci.Archives;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.References;
using Builder.Oci.Tests.Images;

namespace Builder.Oci.Tests.Archives;

public sealed class ImageArchiveTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("archive-tests-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task<(OciLayoutStore Store, StoredImage Image)> ImportedAsync(string tag = "example.com/app:1")
    {
        var rootfs = Path.Combine(_root, "rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "etc"));
        await File.WriteAllTextAsync(Path.Combine(rootfs, "etc", "hostname"), "app\n");
        File.CreateSymbolicLink(Path.Combine(rootfs, "link"), "etc/hostname");
        var store = await OciLayoutStore.OpenAsync(Path.Combine(_root, "store"), CancellationToken.None);
        var manifest = await ImageImport.ImportRootfsAsync(store, rootfs, Platform.Parse("linux/amd64"), DateTimeOffset.UnixEpoch, null, CancellationToken.None);
        await store.SetAsync(ImageReference.Parse(tag), manifest.Descriptor, CancellationToken.None);
        return (store, await StoredImage.LoadAsync(store, manifest.Descriptor, Platform.Parse("linux/amd64"), CancellationToken.None));
    }

    [Fact]
    public async Task Exported_layout_directory_validates_against_the_oci_schemas()
    {
        var (_, image) = await ImportedAsync();
        var layout = Path.Combine(_root, "layout");

        await ImageExport.WriteLayoutDirectoryAsync(image, ImageReference.Parse("example.com/app:1"), layout, CancellationToken.None);

        var validator = OciSchemaValidator.Instance;
        Assert.Null(validator.Errors(OciSchemaValidator.Layout, await File.ReadAllTextAsync(Path.Combine(layout, "oci-layout"))));
        var indexJson = await File.ReadAllTextAsync(Path.Combine(layout, "index.json"));
        Assert.Null(validator.Errors(OciSchemaValidator.Index, indexJson));
        Assert.Null(validator.Errors(OciSchemaValidator.Manifest, Encoding.UTF8.GetString(image.Manifest.Bytes.Span)));
        Assert.Null(validator.Errors(OciSchemaValidator.Config, Encoding.UTF8.GetString(image.Config.Bytes.Span)));
        using var index = JsonDocument.Parse(indexJson);
        var annotations = index.RootElement.GetProperty("manifests")[0].GetProperty("annotations");
        Assert.Equal("1", annotations.GetProperty("org.opencontainers.image.ref.name").GetString());
        Assert.Equal("example.com/app:1", annotations.GetProperty("io.containerd.image.name").GetString());
        foreach (var blob in image.Layers.Select(l => l.Descriptor).Append(image.Config.Descriptor).Append(image.Descriptor))
        {
            var path = Path.Combine(layout, "blobs", "sha256", blob.Digest.Hex);
            Assert.Equal(blob.Digest, Digest.Of(await File.ReadAllBytesAsync(path)));
        }
    }

    [Fact]
    public async Task Exporting_twice_to_one_layout_replaces_the_entry_of_the_same_name()
    {
        var (_, image) = await ImportedAsync();
        var layout = Path.Combine(_root, "layout");
        var name = ImageReference.Parse("example.com/app:1");

        await ImageExport.WriteLayoutDirectoryAsync(image, name, layout, CancellationToken.None);
        await ImageExport.WriteLayoutDirectoryAsync(image, name, layout, CancellationToken.None);
        await ImageExport.WriteLayoutDirectoryAsync(image, ImageReference.Parse("example.com/app:2"), layout, CancellationToken.None);

        using var index = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(layout, "index.json")));
        Assert.Equal(2, index.RootElement.GetProperty("manifests").GetArrayLength());
    }

    [Theory]
    [InlineData(ArchiveFormat.Oci)]
    [InlineData(ArchiveFormat.Docker)]
    public async Task Saved_archive_loads_back_with_its_name_and_image_id(ArchiveFormat format)
    {
        var (_, image) = await ImportedAsync();
        var archive = Path.Combine(_root, "image.tar");
        await ImageExport.WriteTarFileAsync(image, ImageReference.Parse("example.com/app:1"), format, archive, CancellationToken.None);

        var other = await OciLayoutStore.OpenAsync(Path.Combine(_root, "other"), CancellationToken.None);
        var loaded = Assert.Single(await ImageImport.LoadAsync(other, archive, CancellationToken.None));
        var back = await StoredImage.LoadAsync(other, loaded.Target, null, CancellationToken.None);

        Assert.Equal(ImageReference.Parse("example.com/app:1"), loaded.Name);
        Assert.Equal(image.Id, back.Id);
        Assert.Equal(image.Layers.Select(l => l.DiffId), back.Layers.Select(l => l.DiffId));
    }

    [Fact]
    public async Task Docker_archive_has_the_layout_docker_load_reads()
    {
        var (_, image) = await ImportedAsync("app:1");
        var archive = Path.Combine(_root, "image.tar");
        await ImageExport.WriteTarFileAsync(image, ImageReference.Parse("app:1"), ArchiveFormat.Docker, archive, CancellationToken.None);

        var names = new List<string>();
        string? manifest = null;
        await using (var reader = new TarReader(File.OpenRead(archive)))
        {
            while (await reader.GetNextEntryAsync() is { } entry)
            {
                names.Add(entry.Name);
                if (entry.Name == "manifest.json")
                {
                    manifest = await new StreamReader(entry.DataStream!).ReadToEndAsync();
                }
            }
        }

        var diffId = image.Layers[0].DiffId.Hex;
        Assert.Contains($"{image.Id.Hex}.json", names);
        Assert.Contains($"{diffId}/layer.tar", names);
        Assert.Contains("repositories", names);
        Assert.Equal($"[{{\"Config\":\"{image.Id.Hex}.json\",\"RepoTags\":[\"app:1\"],\"Layers\":[\"{diffId}/layer.tar\"]}}]", manifest);
    }

    [Fact]
    public async Task A_failed_save_leaves_no_archive_behind()
    {
        var (store, image) = await ImportedAsync();
        var archive = Path.Combine(_root, "image.tar");
        File.Delete(Path.Combine(store.BlobsDirectory, "sha256", image.Layers[0].Descriptor.Digest.Hex));

        await Assert.ThrowsAsync<ContentNotFoundException>(() =>
            ImageExport.WriteTarFileAsync(image, null, ArchiveFormat.Oci, archive, CancellationToken.None));

        Assert.Empty(Directory.EnumerateFiles(_root));
    }

    [Fact]
    public async Task Importing_a_tar_normalises_names_and_drops_the_root_entry()
    {
        var store = await OciLayoutStore.OpenAsync(Path.Combine(_root, "store"), CancellationToken.None);
        var tarPath = Path.Combine(_root, "rootfs.tar");
        await using (var tar = new TarWriter(File.Create(tarPath), TarEntryFormat.Pax))
        {
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "./"));
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "./etc/"));
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "./etc/motd") { DataStream = new MemoryStream("hi\n"u8.ToArray()) });
        }

        var manifest = await ImageImport.ImportRootfsAsync(store, tarPath, Platform.Host, DateTimeOffset.UnixEpoch, null, CancellationToken.None);
        var image = await StoredImage.LoadAsync(store, manifest.Descriptor, null, CancellationToken.None);

        var names = new List<string>();
        await using (var reader = new TarReader(await image.Layers[0].OpenUncompressedAsync(CancellationToken.None)))
        {
            while (await reader.GetNextEntryAsync() is { } entry)
            {
                names.Add(entry.Name);
            }
        }
        Assert.Equal(["etc/", "etc/motd"], names);
    }
}
