using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Builder.Cache.Backends;
using Builder.Oci;
using Builder.Oci.Images;
using Builder.Posix;

namespace Builder.Cache.Tests;

public sealed class CacheMountArchiveTests : IDisposable
{
    private const string MountId = "/root/.cache/pip";

    private readonly string _root = Directory.CreateTempSubdirectory("cache-mount-tests-").FullName;

    private static CacheSpec Spec(long max = 1L << 30) => new(null, "/unused", "buildcache") { CacheMounts = true, CacheMountsMax = max };

    [Fact]
    public async Task A_tree_round_trips_through_a_layout_cache_with_types_modes_and_owners()
    {
        var source = MakeTree();
        var spec = new CacheSpec(null, Path.Combine(_root, "layout"), "buildcache") { CacheMounts = true };
        using (var backend = await LayoutCacheBackend.OpenAsync(spec, push: true, CancellationToken.None))
        {
            Assert.Null(await CacheMountArchive.ExportAsync(backend, spec, MountId, source, CancellationToken.None));
        }
        using var reader = await LayoutCacheBackend.OpenAsync(spec, push: false, CancellationToken.None);
        var target = Path.Combine(_root, "imported");

        var (imported, warnings) = await CacheMountArchive.ImportAsync([new ImportCache(spec, reader)], MountId, target, CancellationToken.None);

        Assert.NotNull(imported);
        Assert.Empty(warnings);
        Assert.Equal(Describe(source), Describe(target));
        Assert.Equal(["imported", "layout", "source"], Directory.EnumerateFileSystemEntries(_root).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task The_entry_is_an_OCI_artifact_manifest_with_the_empty_config_one_gzip_layer_and_the_mount_id()
    {
        var backend = new CacheTransferTests.MemoryBackend();
        Assert.Null(await CacheMountArchive.ExportAsync(backend, Spec(), MountId, MakeTree(), CancellationToken.None));

        var entry = Assert.Single(backend.Entries);
        Assert.Equal(CacheEntries.MountTag("buildcache", MountId), entry.Key);
        var manifest = OciJson.ParseManifest(entry.Value).Value;
        Assert.Equal(MediaTypes.OciManifest, manifest.MediaType);
        Assert.Equal(CacheEntries.MountArtifactType, manifest.ArtifactType);
        Assert.Equal(CacheEntries.EmptyDescriptor, manifest.Config);
        var layer = Assert.Single(manifest.Layers);
        Assert.Equal(MediaTypes.OciLayerGzip, layer.MediaType);
        Assert.Equal(MountId, manifest.Annotations![CacheEntries.MountIdAnnotation]);
        Assert.True(DateTimeOffset.TryParse(manifest.Annotations[CacheEntries.CreatedAnnotation], out _));
        // Both blobs, in any order (the layer's digest varies with the tree's times).
        Assert.Equal(new[] { CacheEntries.EmptyDescriptor.Digest, layer.Digest }.OrderBy(d => d.ToString()), backend.Blobs.Keys.OrderBy(d => d.ToString()));
    }

    [Fact]
    public async Task Exporting_twice_uploads_no_blob_again()
    {
        var backend = new CacheTransferTests.MemoryBackend();
        var source = MakeTree();
        Assert.Null(await CacheMountArchive.ExportAsync(backend, Spec(), MountId, source, CancellationToken.None));
        var pushes = backend.BlobPushes;

        Assert.Null(await CacheMountArchive.ExportAsync(backend, Spec(), MountId, source, CancellationToken.None));

        Assert.Equal(2, pushes);
        Assert.Equal(pushes, backend.BlobPushes);
    }

    [Fact]
    public async Task A_mount_over_the_cap_is_a_warning_and_nothing_is_uploaded()
    {
        var source = Directory.CreateDirectory(Path.Combine(_root, "big")).FullName;
        File.WriteAllBytes(Path.Combine(source, "random"), Random.Shared.GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), 64 << 10));
        var backend = new CacheTransferTests.MemoryBackend();

        var warning = await CacheMountArchive.ExportAsync(backend, Spec(max: 16 << 10), MountId, source, CancellationToken.None);

        Assert.Contains("cache-mounts-max", warning);
        Assert.Empty(backend.Entries);
        Assert.Equal(0, backend.BlobPushes);
        Assert.Equal(["big"], Directory.EnumerateFileSystemEntries(_root).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_missing_entry_is_no_import_and_no_warning()
    {
        var (imported, warnings) = await CacheMountArchive.ImportAsync([new ImportCache(Spec(), new CacheTransferTests.MemoryBackend())], MountId, Path.Combine(_root, "m"), CancellationToken.None);

        Assert.Null(imported);
        Assert.Empty(warnings);
        Assert.False(Directory.Exists(Path.Combine(_root, "m")));
    }

    [Fact]
    public async Task A_corrupt_blob_is_a_warning_and_the_directory_is_not_created()
    {
        var backend = new CacheTransferTests.MemoryBackend();
        Assert.Null(await CacheMountArchive.ExportAsync(backend, Spec(), MountId, MakeTree(), CancellationToken.None));
        var layer = OciJson.ParseManifest(backend.Entries.Single().Value).Value.Layers[0];
        backend.Blobs[layer.Digest][20] ^= 0xFF;
        var target = Path.Combine(_root, "imported");

        var (imported, warnings) = await CacheMountArchive.ImportAsync([new ImportCache(Spec(), backend)], MountId, target, CancellationToken.None);

        Assert.Null(imported);
        Assert.Contains("corrupt", Assert.Single(warnings));
        Assert.Equal(["source"], Directory.EnumerateFileSystemEntries(_root).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_failing_cache_is_a_warning_and_the_next_one_is_asked()
    {
        var broken = new CacheTransferTests.MemoryBackend();
        var good = new CacheTransferTests.MemoryBackend();
        var source = MakeTree();
        Assert.Null(await CacheMountArchive.ExportAsync(broken, Spec(), MountId, source, CancellationToken.None));
        Assert.Null(await CacheMountArchive.ExportAsync(good, Spec(), MountId, source, CancellationToken.None));
        broken.Blobs.Clear();
        var target = Path.Combine(_root, "imported");

        var (imported, warnings) = await CacheMountArchive.ImportAsync([new ImportCache(Spec(), broken), new ImportCache(Spec(), good)], MountId, target, CancellationToken.None);

        Assert.NotNull(imported);
        Assert.Single(warnings);
        Assert.Equal(Describe(source), Describe(target));
    }

    [Fact]
    public async Task An_existing_empty_directory_is_filled()
    {
        var backend = new CacheTransferTests.MemoryBackend();
        var source = MakeTree();
        Assert.Null(await CacheMountArchive.ExportAsync(backend, Spec(), MountId, source, CancellationToken.None));
        var target = Directory.CreateDirectory(Path.Combine(_root, "fresh")).FullName;

        var (imported, _) = await CacheMountArchive.ImportAsync([new ImportCache(Spec(), backend)], MountId, target, CancellationToken.None);

        Assert.NotNull(imported);
        Assert.Equal(Describe(source), Describe(target));
    }

    [Fact]
    public async Task An_entry_over_the_cap_is_refused_before_its_blob_is_read()
    {
        var backend = new CacheTransferTests.MemoryBackend();
        Assert.Null(await CacheMountArchive.ExportAsync(backend, Spec(), MountId, MakeTree(), CancellationToken.None));
        backend.Blobs.Clear();

        var (imported, warnings) = await CacheMountArchive.ImportAsync([new ImportCache(Spec(max: 10), backend)], MountId, Path.Combine(_root, "m"), CancellationToken.None);

        Assert.Null(imported);
        Assert.Contains("cache-mounts-max", Assert.Single(warnings));
    }

    public static TheoryData<string, string> ForeignEntries => new()
    {
        { """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}""", "artifact type" },
        { "not json", "not an image manifest" },
        { "null", "not an image manifest" },
    };

    [Theory]
    [MemberData(nameof(ForeignEntries))]
    public async Task An_entry_that_is_not_a_mount_entry_is_refused(string manifest, string reason)
    {
        var backend = new CacheTransferTests.MemoryBackend();
        backend.Entries[CacheEntries.MountTag("buildcache", MountId)] = Encoding.UTF8.GetBytes(manifest);

        var (imported, warnings) = await CacheMountArchive.ImportAsync([new ImportCache(Spec(), backend)], MountId, Path.Combine(_root, "m"), CancellationToken.None);

        Assert.Null(imported);
        Assert.Contains(reason, Assert.Single(warnings));
    }

    [Fact]
    public async Task An_entry_of_another_mount_id_is_refused()
    {
        var backend = new CacheTransferTests.MemoryBackend();
        Assert.Null(await CacheMountArchive.ExportAsync(backend, Spec(), "/other", MakeTree(), CancellationToken.None));
        // As if the other id's entry sat under this id's tag.
        backend.Entries[CacheEntries.MountTag("buildcache", MountId)] = backend.Entries.Single().Value;

        var (imported, warnings) = await CacheMountArchive.ImportAsync([new ImportCache(Spec(), backend)], MountId, Path.Combine(_root, "m"), CancellationToken.None);

        Assert.Null(imported);
        Assert.Contains("another cache mount id", Assert.Single(warnings));
    }

    [Fact]
    public async Task An_archive_entry_climbing_out_with_dot_dot_is_refused_and_nothing_is_written()
    {
        var backend = Hostile(tar =>
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "ok") { DataStream = new MemoryStream("fine"u8.ToArray()) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "../escaped") { DataStream = new MemoryStream("owned"u8.ToArray()) });
        });
        var target = Path.Combine(_root, "mount");

        var (imported, warnings) = await CacheMountArchive.ImportAsync([new ImportCache(Spec(), backend)], MountId, target, CancellationToken.None);

        Assert.Null(imported);
        Assert.Contains("..", Assert.Single(warnings));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Fact]
    public async Task An_archive_writing_through_an_absolute_symlink_is_refused_and_nothing_is_written_outside()
    {
        var outside = Directory.CreateDirectory(Path.Combine(_root, "outside")).FullName;
        var backend = Hostile(tar =>
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "link") { LinkName = outside });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "link/pwned") { DataStream = new MemoryStream("owned"u8.ToArray()) });
        });
        var target = Path.Combine(_root, "mount");

        var (imported, warnings) = await CacheMountArchive.ImportAsync([new ImportCache(Spec(), backend)], MountId, target, CancellationToken.None);

        Assert.Null(imported);
        Assert.Contains("symlink", Assert.Single(warnings));
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.Equal(["outside"], Directory.EnumerateFileSystemEntries(_root).Select(Path.GetFileName));
    }

    [Fact]
    public async Task An_archive_hardlinking_outside_is_refused()
    {
        var backend = Hostile(tar =>
            tar.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "passwd") { LinkName = "../../../../etc/passwd" }));

        var (imported, warnings) = await CacheMountArchive.ImportAsync([new ImportCache(Spec(), backend)], MountId, Path.Combine(_root, "mount"), CancellationToken.None);

        Assert.Null(imported);
        Assert.Single(warnings);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Files, nested directories, a relative and an absolute symlink, several modes, and (as root) owners.</summary>
    private string MakeTree()
    {
        var source = Directory.CreateDirectory(Path.Combine(_root, "source")).FullName;
        Directory.CreateDirectory(Path.Combine(source, "a/b/c"));
        File.WriteAllText(Path.Combine(source, "top.txt"), "top");
        File.WriteAllText(Path.Combine(source, "a/b/c/deep.bin"), "deep");
        File.WriteAllText(Path.Combine(source, "a/run.sh"), "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(source, "a/run.sh"), (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(source, "a/secret"), "s");
        File.SetUnixFileMode(Path.Combine(source, "a/secret"), (UnixFileMode)0b110_000_000);
        File.SetUnixFileMode(Path.Combine(source, "a/b"), (UnixFileMode)0b111_000_000);
        File.CreateSymbolicLink(Path.Combine(source, "rel"), "a/b/c/deep.bin");
        File.CreateSymbolicLink(Path.Combine(source, "abs"), "/etc/hostname");
        Directory.CreateDirectory(Path.Combine(source, "empty"));
        if (LibC.IsRoot)
        {
            LibC.LChown(Path.Combine(source, "a/secret"), 1234, 5678);
        }
        return source;
    }

    /// <summary>Every entry below <paramref name="root"/>, never following symlinks: type, mode, owner, content or target.</summary>
    private static List<string> Describe(string root)
    {
        var lines = new List<string>();
        void Walk(string directory, string prefix)
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal))
            {
                var name = prefix + Path.GetFileName(path);
                var status = LibC.LStat(path)!.Value;
                var what = status.IsSymlink ? "-> " + LibC.ReadLink(path)
                    : status.IsDirectory ? "dir"
                    : File.ReadAllText(path);
                lines.Add($"{name} {status.Mode:x} {status.Uid}:{status.Gid} {what}");
                if (status.IsDirectory)
                {
                    Walk(path, name + "/");
                }
            }
        }
        Walk(root, "");
        return lines;
    }

    /// <summary>A cache holding a well-formed entry whose archive is the one <paramref name="write"/> makes.</summary>
    private static CacheTransferTests.MemoryBackend Hostile(Action<TarWriter> write)
    {
        var archive = new MemoryStream();
        using (var gzip = new GZipStream(archive, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            write(tar);
        }
        var bytes = archive.ToArray();
        var blob = Descriptor.Of(MediaTypes.OciLayerGzip, bytes);
        var backend = new CacheTransferTests.MemoryBackend();
        backend.Blobs[blob.Digest] = bytes;
        backend.Entries[CacheEntries.MountTag("buildcache", MountId)] = CacheMountArchive.Entry(MountId, blob).ToArray();
        return backend;
    }
}
