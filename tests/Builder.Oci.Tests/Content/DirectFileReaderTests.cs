using Builder.Oci.Content;

namespace Builder.Oci.Tests.Content;

/// <summary>
/// Ranges read with direct I/O through aligned windows (<see cref="DirectFileReader"/>) are the file's bytes: ranges
/// in order and out of order, inside a window and across windows, unaligned, at and past the end of the file; on a
/// file system that takes direct I/O and on one that does not (tmpfs).
/// </summary>
public sealed class DirectFileReaderTests
{
    private const int Window = 1 << 20;

    public static TheoryData<string, int> Files()
    {
        var data = new TheoryData<string, int>();
        foreach (var root in (string[])[Path.GetTempPath(), "/dev/shm"])
        {
            foreach (var size in (int[])[1, 4095, 4096, Window, 3 * Window + 517])
            {
                data.Add(root, size);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_range_read_is_the_files_bytes(string parent, int size)
    {
        var path = Path.Combine(parent, $"direct-read-{Guid.NewGuid():N}");
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        try
        {
            using var file = File.OpenHandle(path);
            using var reader = new DirectFileReader(file);
            // Front to back in odd pieces (as a tar's entries are taken), across window boundaries.
            var buffer = new byte[size + 1000];
            for (var offset = 0; offset < size; offset += 70_001)
            {
                var wanted = Math.Min(70_001, size - offset);
                Assert.Equal(wanted, reader.Read(buffer.AsSpan(0, wanted), offset));
                Assert.True(bytes.AsSpan(offset, wanted).SequenceEqual(buffer.AsSpan(0, wanted)), $"at {offset}");
            }
            // Backwards, and one range spanning the whole file: the same bytes.
            for (var offset = size - 1; offset >= 0; offset -= 300_007)
            {
                Assert.Equal(1, reader.Read(buffer.AsSpan(0, 1), offset));
                Assert.Equal(bytes[offset], buffer[0]);
            }
            Assert.Equal(size, reader.Read(buffer, 0)); // short only at the end of the file
            Assert.True(bytes.AsSpan().SequenceEqual(buffer.AsSpan(0, size)));
            Assert.Equal(0, reader.Read(buffer.AsSpan(0, 10), size));
            Assert.Equal(0, reader.Read(buffer.AsSpan(0, 10), size + 5000));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
