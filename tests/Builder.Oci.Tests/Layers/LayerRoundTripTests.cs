using System.Formats.Tar;
using System.IO.Compression;
using Builder.Oci.Layers;

namespace Builder.Oci.Tests.Layers;

public sealed class LayerRoundTripTests
{
    [Theory]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.Zstd)]
    [InlineData(LayerCompression.None)]
    public async Task A_directory_written_as_a_layer_and_applied_is_the_same_tree(LayerCompression compression)
    {
        Tools.RequireRoot();
        using var temp = new TempDirectory();
        var source = temp.Sub("source");
        SampleTree.Create(source);
        var layerFile = Path.Combine(temp.Path, "layer");

        await using (var output = File.Create(layerFile))
        {
            await LayerWriter.WriteDirectoryAsync(source, output, new LayerWriterOptions { Compression = compression }, CancellationToken.None);
        }
        var target = temp.Sub("target");
        LayerApplyResult result;
        await using (var input = await LayerDecompression.OpenUncompressedAsync(File.OpenRead(layerFile), CancellationToken.None))
        {
            result = await LayerApplier.ApplyAsync(input, target, null, CancellationToken.None);
        }

        Assert.Empty(result.Warnings);
        TreeSnapshot.AssertSame(source, target);
        var (entries, hardlinks) = TreeSnapshot.Take(target);
        Assert.Equal("bin/tool = bin/tool-link = etc/tool-hard", Assert.Single(hardlinks));
        Assert.Equal("4755", entries.Single(e => e.Path == "bin/tool").Mode);
        Assert.Equal("security.capability=" + Convert.ToHexString(SampleTree.Capability), entries.Single(e => e.Path == "bin/tool").Xattrs);
        Assert.Equal("1,3", entries.Single(e => e.Path == "dev/null").Device);
        Assert.Equal("fifo", entries.Single(e => e.Path == "run/fifo").Type);
        Assert.Equal(3000000, entries.Single(e => e.Path == "home/user/big-ids").Uid);
        Assert.Equal("555", entries.Single(e => e.Path == "readonly").Mode);
        Assert.Equal(4102444800, entries.Single(e => e.Path == "future").Mtime);
    }

    [Fact]
    public async Task GNU_tar_extracts_our_layer_to_the_same_tree()
    {
        Tools.RequireRoot();
        using var temp = new TempDirectory();
        var source = temp.Sub("source");
        SampleTree.Create(source);
        var layerFile = Path.Combine(temp.Path, "layer.tar.gz");
        await using (var output = File.Create(layerFile))
        {
            await LayerWriter.WriteDirectoryAsync(source, output, null, CancellationToken.None);
        }
        var target = temp.Sub("target");

        Tools.Run("tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "-xpzf", layerFile, "-C", target);

        TreeSnapshot.AssertSame(source, target);
    }

    [Fact]
    public async Task GNU_tar_lists_our_layer_without_complaint()
    {
        Tools.RequireRoot();
        using var temp = new TempDirectory();
        var source = temp.Sub("source");
        SampleTree.Create(source);
        var layerFile = Path.Combine(temp.Path, "layer.tar.gz");
        await using (var output = File.Create(layerFile))
        {
            await LayerWriter.WriteDirectoryAsync(source, output, null, CancellationToken.None);
        }

        var (code, listing, errors) = Tools.TryRun("tar", "--numeric-owner", "-tvzf", layerFile);

        Assert.Equal(0, code);
        Assert.Equal(string.Empty, errors);
        var lines = listing.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("-rwsr-xr-x 0/0", StringComparison.Ordinal) && l.EndsWith(" bin/tool", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("hrwsr-xr-x 0/0", StringComparison.Ordinal) && l.EndsWith(" bin/tool-link link to bin/tool", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("crw-rw-rw- 0/0", StringComparison.Ordinal) && l.Contains(" 1,3 ", StringComparison.Ordinal) && l.EndsWith(" dev/null", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("brw-rw---- 0/6", StringComparison.Ordinal) && l.EndsWith(" dev/loop9", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("prw-------", StringComparison.Ordinal) && l.EndsWith(" run/fifo", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("lrwxrwxrwx", StringComparison.Ordinal) && l.EndsWith(" lib -> usr/lib", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("drwxrwxrwt", StringComparison.Ordinal) && l.EndsWith(" tmp/", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("drwxrwsr-x 1000/1000", StringComparison.Ordinal) && l.EndsWith(" srv/shared/", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(" 3000000/4000000 ", StringComparison.Ordinal) && l.EndsWith(" home/user/big-ids", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith(" données/über-ß.txt", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith("-bytes-of-the-ustar-name-field.txt", StringComparison.Ordinal) && l.Contains("directory-level-11/", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("PaxHeaders", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("pax")]
    [InlineData("gnu")]
    public async Task An_archive_made_by_GNU_tar_applies_to_the_same_tree(string format)
    {
        Tools.RequireRoot();
        using var temp = new TempDirectory();
        var source = temp.Sub("source");
        SampleTree.Create(source);
        var archive = Path.Combine(temp.Path, "archive.tar");
        var xattrs = format == "pax";
        Tools.Run("tar", [$"--format={format}", .. xattrs ? new[] { "--xattrs", "--xattrs-include=*" } : [], "-cf", archive, "-C", source, "."]);
        var target = temp.Sub("target");

        await using (var input = File.OpenRead(archive))
        {
            await LayerApplier.ApplyAsync(input, target, null, CancellationToken.None);
        }

        TreeSnapshot.AssertSame(source, target, includeXattrs: xattrs);
    }

    [Fact]
    public async Task System_Formats_Tar_reads_our_entries_with_their_metadata()
    {
        Tools.RequireRoot();
        using var temp = new TempDirectory();
        var source = temp.Sub("source");
        SampleTree.Create(source);
        using var layer = new MemoryStream();
        await LayerWriter.WriteDirectoryAsync(source, layer, null, CancellationToken.None);
        layer.Position = 0;

        var entries = new Dictionary<string, TarEntry>();
        using (var gzip = new GZipStream(layer, CompressionMode.Decompress))
        using (var reader = new TarReader(gzip))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                entries[entry.Name] = entry;
            }
        }

        Assert.Equal(TarEntryType.RegularFile, entries["bin/tool"].EntryType);
        Assert.Equal(UnixFileMode.SetUser | (UnixFileMode)0x1ED, entries["bin/tool"].Mode);
        Assert.Equal(TarEntryType.HardLink, entries["etc/tool-hard"].EntryType);
        Assert.Equal("bin/tool", entries["etc/tool-hard"].LinkName);
        Assert.Equal(42, entries["etc/shadow"].Gid);
        Assert.Equal("usr/lib", entries["lib"].LinkName);
        Assert.Equal(TarEntryType.Directory, entries["tmp/"].EntryType);
        Assert.Equal(3, ((PosixTarEntry)entries["dev/null"]).DeviceMinor);
        Assert.Equal(TarEntryType.Fifo, entries["run/fifo"].EntryType);
        Assert.Equal(3000000, entries["home/user/big-ids"].Uid);
        Assert.Equal(new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero), entries["future"].ModificationTime);
        Assert.True(entries.ContainsKey("données/über-ß.txt"));
        Assert.All(entries.Values.OfType<PosixTarEntry>(), e => Assert.Equal(string.Empty, e.UserName));
    }

    [Fact]
    public async Task Owners_pass_through_the_mapping_function()
    {
        Tools.RequireRoot();
        using var temp = new TempDirectory();
        using var layer = new MemoryStream();
        await LayerWriter.WriteAsync(
            [
                new LayerEntry("home", LayerEntryType.Directory) { Mode = (UnixFileMode)0x1ED, UserId = 0, GroupId = 0 },
                new LayerEntry("home/file", LayerEntryType.RegularFile) { Mode = (UnixFileMode)0x1A4, UserId = 1000, GroupId = 100 },
            ],
            layer, new LayerWriterOptions { Compression = LayerCompression.None }, CancellationToken.None);
        layer.Position = 0;
        var target = temp.Sub("target");

        await LayerApplier.ApplyAsync(layer, target,
            new LayerApplyOptions { MapOwner = o => new LayerOwner(o.UserId + 100_000, o.GroupId + 200_000) }, CancellationToken.None);

        Assert.Equal("100000:200000", Tools.Run("stat", "-c", "%u:%g", Path.Combine(target, "home")).Trim());
        Assert.Equal("101000:200100", Tools.Run("stat", "-c", "%u:%g", Path.Combine(target, "home/file")).Trim());
    }

    [Fact]
    public async Task Change_set_entries_round_trip_with_their_content_sources()
    {
        using var temp = new TempDirectory();
        var onDisk = Path.Combine(temp.Path, "on-disk");
        await File.WriteAllTextAsync(onDisk, "from a file");
        using var layer = new MemoryStream();
        var when = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);
        await LayerWriter.WriteAsync(
            [
                new LayerEntry("app/bytes", LayerEntryType.RegularFile) { Mode = (UnixFileMode)0x1A4, Size = 5, Content = LayerContent.FromBytes("bytes"u8.ToArray()), ModificationTime = when },
                new LayerEntry("app/stream", LayerEntryType.RegularFile) { Mode = (UnixFileMode)0x1ED, Size = 6, Content = LayerContent.FromStream(() => new MemoryStream("stream"u8.ToArray())), ModificationTime = when },
                new LayerEntry("app/file", LayerEntryType.RegularFile) { Mode = (UnixFileMode)0x180, Size = 11, Content = LayerContent.FromFile(onDisk), ModificationTime = when },
                new LayerEntry("app/link", LayerEntryType.Hardlink) { LinkTarget = "app/bytes" },
                new LayerEntry("app", LayerEntryType.Directory) { Mode = (UnixFileMode)0x1ED, ModificationTime = when },
            ],
            layer, new LayerWriterOptions { Compression = LayerCompression.Gzip }, CancellationToken.None);
        layer.Position = 0;
        var target = temp.Sub("target");

        await using (var tar = await LayerDecompression.OpenUncompressedAsync(layer, CancellationToken.None))
        {
            await LayerApplier.ApplyAsync(tar, target, null, CancellationToken.None);
        }

        Assert.Equal("bytes", await File.ReadAllTextAsync(Path.Combine(target, "app/bytes")));
        Assert.Equal("stream", await File.ReadAllTextAsync(Path.Combine(target, "app/stream")));
        Assert.Equal("from a file", await File.ReadAllTextAsync(Path.Combine(target, "app/file")));
        Assert.Equal("bytes", await File.ReadAllTextAsync(Path.Combine(target, "app/link")));
        Assert.Equal("755 644 600 2", Tools.Shell($"cd {target}/app && stat -c %a . bytes file | paste -sd' ' && stat -c %h link").Replace("\n", " ", StringComparison.Ordinal).Trim());
        Assert.Equal(when.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            Tools.Run("stat", "-c", "%Y", Path.Combine(target, "app")).Trim());
    }
}
