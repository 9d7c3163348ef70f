using System.Buffers;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Builder.Oci.Content;

namespace Builder.Oci.Layers;

/// <summary>A stream its reader can move forward through without reading: <see cref="TarEntryReader"/> skips data this way.</summary>
public interface IForwardSkippable
{
    /// <summary>Moves past up to <paramref name="count"/> bytes; returns how many there were (fewer only at the end).</summary>
    ValueTask<long> SkipAsync(long count, CancellationToken cancellationToken);
}

/// <summary>
/// Bytes from one writer to one reader on another thread, in chunks: each write is queued (at most
/// <c>capacity</c> chunks, then the writer waits) — a <see cref="SharedChunk"/> by reference, other memory copied
/// once into a pooled buffer; the reader copies out what it reads and skips the rest without touching it. Once the
/// reader stops, writes are dropped (its owner reports why it stopped), as a pipe's are.
/// </summary>
/// <remarks>
/// Why not System.IO.Pipelines' <c>Pipe</c>, which the layer cache's extraction read the tee'd tar through before: a
/// Pipe copies into 4 KiB segments and its stream reader copies out again, so every byte of a layer crossed memory
/// twice more even where the extraction only skips it (a reused entry it links from the previous extracted copy).
/// At 10× the build benchmark's context that was 2.6 GB of copies and ~650,000 segment rentals per one-file rebuild.
/// The layer writer's chunks are <see cref="SharedChunk"/>s, so now not even the one copy in is made.
/// </remarks>
public sealed class ChunkRelay
{
    private readonly Channel<Chunk> _chunks;
    private volatile bool _readerDone;

    public ChunkRelay(int capacity)
    {
        _chunks = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        Writer = new RelayWriter(this);
        Reader = new RelayReader(this);
    }

    /// <summary>The writing end; disposing it ends the stream (the reader then reads 0).</summary>
    public WriteOnlyStream Writer { get; }

    /// <summary>The reading end (also <see cref="IForwardSkippable"/>); disposing it stops the relay: later writes are dropped.</summary>
    public Stream Reader { get; }

    private async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (data.IsEmpty || _readerDone)
        {
            return;
        }
        var chunk = Chunk.Of(data);
        try
        {
            await _chunks.Writer.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            chunk.Release(); // the reader stopped: dropped
        }
        catch (OperationCanceledException)
        {
            chunk.Release();
            throw;
        }
    }

    private void StopReading()
    {
        _readerDone = true;
        _chunks.Writer.TryComplete();
        while (_chunks.Reader.TryRead(out var chunk))
        {
            chunk.Release();
        }
    }

    private sealed class RelayWriter(ChunkRelay relay) : WriteOnlyStream
    {
        public override void Write(ReadOnlySpan<byte> buffer) => WriteAsync(buffer.ToArray()).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await relay.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            Written += buffer.Length;
        }

        protected override void Dispose(bool disposing)
        {
            relay._chunks.Writer.TryComplete();
            base.Dispose(disposing);
        }
    }

    private sealed class RelayReader(ChunkRelay relay) : ReadOnlyStream, IForwardSkippable
    {
        private Chunk _held;
        private ReadOnlyMemory<byte> _current;

        public override int Read(Span<byte> buffer) => ReadAsync(buffer.ToArray()).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.IsEmpty || !await NextAsync(cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }
            var n = Math.Min(buffer.Length, _current.Length);
            _current.Span[..n].CopyTo(buffer.Span);
            _current = _current[n..];
            return n;
        }

        public async ValueTask<long> SkipAsync(long count, CancellationToken cancellationToken)
        {
            long skipped = 0;
            while (skipped < count && await NextAsync(cancellationToken).ConfigureAwait(false))
            {
                var n = (int)Math.Min(count - skipped, _current.Length);
                _current = _current[n..];
                skipped += n;
            }
            return skipped;
        }

        // Makes _current non-empty (returning the used chunk to the pool), or false at the end.
        private async ValueTask<bool> NextAsync(CancellationToken cancellationToken)
        {
            if (!_current.IsEmpty)
            {
                return true;
            }
            Release();
            while (await relay._chunks.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (relay._chunks.Reader.TryRead(out var chunk))
                {
                    _held = chunk;
                    _current = chunk.Data;
                    return true;
                }
            }
            return false;
        }

        private void Release()
        {
            _held.Release();
            _held = default;
            _current = ReadOnlyMemory<byte>.Empty;
        }

        protected override void Dispose(bool disposing)
        {
            Release();
            relay.StopReading();
            base.Dispose(disposing);
        }
    }

    /// <summary>A queued write: a shared chunk's memory (one reference held) or a pooled copy.</summary>
    private readonly record struct Chunk(ReadOnlyMemory<byte> Data, SharedChunk? Shared, byte[]? Pooled)
    {
        public static Chunk Of(ReadOnlyMemory<byte> data)
        {
            if (MemoryMarshal.TryGetMemoryManager<byte, SharedChunk>(data, out var shared))
            {
                shared.AddReference();
                return new Chunk(data, shared, null);
            }
            var copy = ArrayPool<byte>.Shared.Rent(data.Length);
            data.CopyTo(copy);
            return new Chunk(copy.AsMemory(0, data.Length), null, copy);
        }

        public void Release()
        {
            Shared?.Release();
            if (Pooled is not null)
            {
                ArrayPool<byte>.Shared.Return(Pooled);
            }
        }
    }
}
