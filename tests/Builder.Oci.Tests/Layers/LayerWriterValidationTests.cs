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

/// <summary>
/// A plain layer's chunks go out several at a time (<c>LayerOutput</c>); they still arrive in order, and a destination
/// that fails part-way fails the write with its own error, with nothing left running.
/// </summary>
public sealed class LayerOutputOrderTests
{
    private static readonly LayerWriterOptions Plain = new() { Compression = LayerCompression.None };

    private static LayerChange[] Files() =>
        [.. Enumerable.Range(0, 40).Select(i => new LayerEntry($"f{i:D2}", LayerEntryType.RegularFile)
        {
            Size = 300_000 + i, Content = LayerContent.FromBytes(Enumerable.Range(0, 300_000 + i).Select(b => (byte)(b * 7 + i)).ToArray()),
        })];

    [Fact]
    public async Task Chunks_in_flight_arrive_in_order()
    {
        var slow = new SlowStream();
        var layer = await LayerWriter.WriteAsync(Files(), slow, Plain, CancellationToken.None);
        var reference = new MemoryStream();
        await LayerWriter.WriteAsync(Files(), reference, Plain, CancellationToken.None);
        Assert.True(reference.ToArray().AsSpan().SequenceEqual(slow.Written.ToArray()));
        Assert.Equal(Digest.Of(reference.ToArray()), layer.DiffId);
    }

    [Fact]
    public async Task A_destination_failing_part_way_fails_the_write_with_its_error()
    {
        var error = await Assert.ThrowsAsync<IOException>(() => LayerWriter.WriteAsync(Files(), new SlowStream { FailAfter = 3 << 20 }, Plain, CancellationToken.None));
        Assert.Equal("disk full", error.Message);
    }

    /// <summary>Takes a while per write, so several chunks are in flight; can fail once it holds <see cref="FailAfter"/> bytes.</summary>
    private sealed class SlowStream : Stream
    {
        public MemoryStream Written { get; } = new();
        public long FailAfter { get; init; } = long.MaxValue;

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Random.Shared.Next(0, 3), cancellationToken);
            if (Written.Length + buffer.Length > FailAfter)
            {
                throw new IOException("disk full");
            }
            Written.Write(buffer.Span);
        }

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Written.Length;
        public override long Position { get => Written.Length; set => throw new NotSupportedException(); }
    }
}
