using Builder.Oci.Layers;

namespace Builder.Oci.Tests.Layers;

public sealed class ChunkRelayTests
{
    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task The_reader_gets_every_byte_in_order_whatever_the_write_and_read_sizes()
    {
        var relay = new ChunkRelay(capacity: 3);
        var data = Bytes(3_000_000, 1);
        var writer = Task.Run(async () =>
        {
            var random = new Random(2);
            for (var at = 0; at < data.Length;)
            {
                var n = Math.Min(random.Next(1, 300_000), data.Length - at);
                await relay.Writer.WriteAsync(data.AsMemory(at, n));
                at += n;
            }
            await relay.Writer.DisposeAsync();
        });
        var read = new MemoryStream();
        var buffer = new byte[77_777];
        int count;
        while ((count = await relay.Reader.ReadAsync(buffer)) > 0)
        {
            read.Write(buffer, 0, count);
        }
        await writer;

        Assert.Equal(data, read.ToArray());
    }

    [Fact]
    public async Task Skipping_moves_across_chunks_without_reading_and_stops_at_the_end()
    {
        var relay = new ChunkRelay(capacity: 10);
        var data = Bytes(10_000, 3);
        for (var at = 0; at < data.Length; at += 1000)
        {
            await relay.Writer.WriteAsync(data.AsMemory(at, 1000));
        }
        await relay.Writer.DisposeAsync();
        var skippable = Assert.IsAssignableFrom<IForwardSkippable>(relay.Reader);
        var buffer = new byte[10];

        Assert.Equal(2500, await skippable.SkipAsync(2500, CancellationToken.None));
        Assert.Equal(10, await relay.Reader.ReadAsync(buffer));
        Assert.Equal(data.AsSpan(2500, 10).ToArray(), buffer);
        Assert.Equal(10_000 - 2510, await skippable.SkipAsync(1_000_000, CancellationToken.None));
        Assert.Equal(0, await relay.Reader.ReadAsync(buffer));
    }

    [Fact]
    public async Task A_full_relay_holds_the_writer_until_the_reader_takes_a_chunk()
    {
        var relay = new ChunkRelay(capacity: 2);
        await relay.Writer.WriteAsync(Bytes(10, 4));
        await relay.Writer.WriteAsync(Bytes(10, 5));

        var third = relay.Writer.WriteAsync(Bytes(10, 6)).AsTask();
        await Task.Delay(200);
        Assert.False(third.IsCompleted);

        Assert.Equal(10, await relay.Reader.ReadAsync(new byte[10]));
        Assert.Equal(1, await relay.Reader.ReadAsync(new byte[1])); // the first chunk is let go once the reader moves to the second
        await third.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Once_the_reader_stops_a_waiting_write_and_every_later_one_are_dropped()
    {
        var relay = new ChunkRelay(capacity: 1);
        await relay.Writer.WriteAsync(Bytes(10, 7));
        var waiting = relay.Writer.WriteAsync(Bytes(10, 8)).AsTask();

        await relay.Reader.DisposeAsync();

        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        await relay.Writer.WriteAsync(Bytes(10, 9));
        Assert.Equal(30, relay.Writer.Written);
    }

    [Fact]
    public async Task A_shared_chunk_is_passed_on_not_copied_and_held_until_the_reader_is_past_it()
    {
        var relay = new ChunkRelay(capacity: 4);
        var chunk = Builder.Oci.Content.SharedChunk.Rent();
        new Random(5).NextBytes(chunk.GetSpan());
        var expected = chunk.GetSpan()[..1000].ToArray();
        await relay.Writer.WriteAsync(chunk.Memory[..1000]);
        // The writer's reference goes; the relay's keeps the chunk from the pool (a chunk rented now is another one).
        chunk.Release();
        var other = Builder.Oci.Content.SharedChunk.Rent();
        Assert.NotSame(chunk, other);
        other.Release();
        await relay.Writer.DisposeAsync();

        var buffer = new byte[1000];
        Assert.Equal(1000, await relay.Reader.ReadAsync(buffer));
        Assert.Equal(expected, buffer);
        Assert.Equal(0, await relay.Reader.ReadAsync(buffer));
        await relay.Reader.DisposeAsync();
    }
}
