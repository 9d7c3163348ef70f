using Builder.Oci.Layers;

namespace Builder.Oci.Tests.Layers;

public sealed class LayerWriterValidationTests
{
    private static Task<LayerDescriptor> Write(params LayerChange[] changes) =>
        LayerWriter.WriteAsync(changes, Stream.Null, null, CancellationToken.None);

    private static LayerEntry File(string path, int size = 0) =>
        new(path, LayerEntryType.RegularFile) { Size = size, Content = size == 0 ? null : LayerContent.FromBytes(new byte[size]) };

    [Theory]
    [InlineData(".wh.secret")]
    [InlineData("dir/.wh..wh..opq")]
    [InlineData(".wh.dir/file")]
    public async Task Names_that_would_read_as_whiteouts_are_refused(string path)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Write(File(path)));

        Assert.Contains("would be read as a whiteout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_directory_holding_a_whiteout_named_file_is_refused_when_scanned()
    {
        using var temp = new TempDirectory();
        await System.IO.File.WriteAllTextAsync(Path.Combine(temp.Path, ".wh.oops"), "x");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => LayerWriter.WriteDirectoryAsync(temp.Path, Stream.Null, null, CancellationToken.None));

        Assert.Contains(".wh.oops", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a/../../x")]
    [InlineData("/")]
    [InlineData("./")]
    public async Task Paths_leaving_or_naming_the_root_are_refused(string path)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Write(File(path)));
    }

    [Fact]
    public async Task The_same_path_twice_is_refused()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Write(File("a/b"), File("/a/./b")));

        Assert.Contains("\"a/b\" twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hardlink_written_before_its_target_is_refused()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            Write(File("b", 3), new LayerEntry("a", LayerEntryType.Hardlink) { LinkTarget = "b" }));

        Assert.Contains("make b the link instead", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Content_shorter_or_longer_than_the_size_is_an_error()
    {
        var shorter = new LayerEntry("f", LayerEntryType.RegularFile) { Size = 10, Content = LayerContent.FromStream(() => new MemoryStream(new byte[4])) };
        var longer = new LayerEntry("f", LayerEntryType.RegularFile) { Size = 2, Content = LayerContent.FromStream(() => new MemoryStream(new byte[4])) };

        Assert.Contains("ended after 4 of 10 bytes", (await Assert.ThrowsAsync<IOException>(() => Write(shorter))).Message, StringComparison.Ordinal);
        Assert.Contains("longer than its size", (await Assert.ThrowsAsync<IOException>(() => Write(longer))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_changed_size_since_the_scan_is_an_error()
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "growing");
        await System.IO.File.WriteAllTextAsync(path, "12345");
        var entries = LayerWriter.ScanDirectory(temp.Path, null, CancellationToken.None);
        await System.IO.File.AppendAllTextAsync(path, "678");

        var error = await Assert.ThrowsAsync<IOException>(() => LayerWriter.WriteAsync(entries, Stream.Null, null, CancellationToken.None));

        Assert.Contains("changed size", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_regular_files_may_have_content()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Write(new LayerEntry("d", LayerEntryType.Directory) { Size = 3 }));
        await Assert.ThrowsAsync<ArgumentException>(() => Write(new LayerEntry("s", LayerEntryType.Symlink)));
    }

    [Fact]
    public async Task A_cancelled_write_stops_and_writes_nothing_more()
    {
        using var cancel = new CancellationTokenSource();
        var output = new MemoryStream();
        var entries = Enumerable.Range(0, 50).Select(i => (LayerChange)File($"f{i}", 1 << 20)).ToList();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => LayerWriter.WriteAsync(entries, output, null, cancel.Token));

        Assert.Equal(0, output.Length);
    }

    [Fact]
    public void Compression_is_told_by_magic_bytes()
    {
        Assert.Equal(LayerCompression.Gzip, LayerDecompression.Detect([0x1F, 0x8B, 0x08, 0x00]));
        Assert.Equal(LayerCompression.Zstd, LayerDecompression.Detect([0x28, 0xB5, 0x2F, 0xFD]));
        Assert.Equal(LayerCompression.None, LayerDecompression.Detect("etc/"u8));
        Assert.Equal(LayerCompression.None, LayerDecompression.Detect([]));
    }
}
