using Builder.Oci.Content;

namespace Builder.Oci.Tests.Content;

/// <summary>
/// Blobs written with direct I/O (whole aligned blocks to the disk, the last partial block through the page cache) are
/// the bytes given, whatever their size, on a file system that takes direct I/O and on one that does not (tmpfs).
/// </summary>
public sealed class DirectWriteStreamTests
{
    private const int Block = 1 << 20;

    public static TheoryData<string, int> Sizes()
    {
        var data = new TheoryData<string, int>();
        foreach (var root in (string[])[Path.GetTempPath(), "/dev/shm"])
        {
            foreach (var size in (int[])[0, 1, 4095, Block - 1, Block, Block + 1, 3 * Block + 17])
            {
                data.Add(root, size);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task A_blob_of_any_size_is_stored_byte_for_byte(string parent, int size)
    {
        var root = Directory.CreateDirectory(Path.Combine(parent, $"direct-write-{Guid.NewGuid():N}")).FullName;
        try
        {
            var store = await OciLayoutStore.OpenAsync(root, CancellationToken.None);
            var bytes = new byte[size];
            new Random(size).NextBytes(bytes);

            Descriptor descriptor;
            await using (var writer = await store.OpenWriterAsync(CancellationToken.None))
            {
                // Odd-sized pieces, so blocks fill across writes.
                for (var offset = 0; offset < size; offset += 333_333)
                {
                    await writer.Stream.WriteAsync(bytes.AsMemory(offset, Math.Min(333_333, size - offset)));
                }
                descriptor = await writer.CommitAsync(MediaTypes.OciLayer, Digest.Of(bytes), size, CancellationToken.None);
            }

            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(root, "blobs", "sha256", descriptor.Digest.Hex)));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("tmp")]
    [InlineData("/dev/shm")]
    public async Task Shared_chunks_are_written_from_where_they_are_and_held_until_written(string parent)
    {
        var root = Directory.CreateDirectory(Path.Combine(parent == "tmp" ? Path.GetTempPath() : parent, $"direct-write-{Guid.NewGuid():N}")).FullName;
        try
        {
            var store = await OciLayoutStore.OpenAsync(root, CancellationToken.None);
            var expected = new MemoryStream();
            Descriptor descriptor;
            await using (var writer = await store.OpenWriterAsync(CancellationToken.None))
            {
                for (var i = 0; i < 24; i++)
                {
                    // Whole chunks (written in place) and, now and then, a piece that is not one (copied): the writer
                    // gives its reference back as soon as the call returns and the chunk is refilled at once (the pool
                    // hands it out again), so a write that did not hold its own reference would store the new bytes.
                    var chunk = SharedChunk.Rent();
                    new Random(i).NextBytes(chunk.GetSpan());
                    var length = i % 5 == 4 ? SharedChunk.Size - 4096 : SharedChunk.Size;
                    expected.Write(chunk.GetSpan()[..length]);
                    await writer.Stream.WriteAsync(chunk.Memory[..length]);
                    chunk.Release();
                    var next = SharedChunk.Rent();
                    next.GetSpan().Fill(0xEE);
                    next.Release();
                }
                descriptor = await writer.CommitAsync(MediaTypes.OciLayer, Digest.Of(expected.ToArray()), expected.Length, CancellationToken.None);
            }

            Assert.Equal(expected.ToArray(), await File.ReadAllBytesAsync(Path.Combine(root, "blobs", "sha256", descriptor.Digest.Hex)));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_shared_chunk_is_page_aligned()
    {
        var chunk = SharedChunk.Rent();
        Assert.Equal(0, chunk.Address % AlignedBuffer.Alignment);
        Assert.Equal(SharedChunk.Size, chunk.Memory.Length);
        chunk.Release();
    }

    [Fact]
    public void The_build_machines_file_system_takes_direct_io_or_says_it_does_not()
    {
        var path = Path.GetTempFileName();
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
            using var stream = DirectWriteStream.TryCreate(file);
            // Either way is a working writer; this records which one the suite ran with.
            Assert.True(stream is null || stream.CanWrite);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
