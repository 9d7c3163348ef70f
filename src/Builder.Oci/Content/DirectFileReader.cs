using Builder.Posix;
using Microsoft.Win32.SafeHandles;

namespace Builder.Oci.Content;

/// <summary>
/// Reads ranges of a file that are asked for front to back (a previous layer's tar, say) with direct I/O: aligned
/// 1 MiB windows go from the disk straight into one of two pinned buffers, the next window is read ahead on another
/// thread while this one is used, and a range is copied out of the window it lies in.
/// </summary>
/// <remarks>
/// Why: a blob the builder wrote is not in the page cache (<see cref="DirectWriteStream"/> bypasses it), so a
/// buffered pread first fills newly allocated page-cache pages and then copies them out. Reading a 1.3 GB previous
/// layer that way was the largest cost of a one-file rebuild at 10× the benchmark's context (perf:
/// <c>_copy_to_iter</c> under <c>pread64</c>, 19% of all samples, ~2.5 s of CPU). Where the file system refuses
/// direct I/O (tmpfs), or a direct read fails, the windows are filled by ordinary reads; the bytes are the same.
/// Ranges asked for out of order still read correctly, each costing a window read.
/// </remarks>
internal sealed class DirectFileReader : IDisposable
{
    private const int WindowSize = 1 << 20;

    private readonly SafeFileHandle _handle;
    private readonly Window[] _windows = [new(), new()];
    private Task? _readAhead;
    private int _current;
    private bool _direct;

    public DirectFileReader(SafeFileHandle handle)
    {
        _handle = handle;
        _direct = LibC.TrySetDirectIo(handle, on: true);
    }

    /// <summary>Copies up to <paramref name="destination"/>'s length from <paramref name="offset"/>; fewer only at the end of the file (0 past it).</summary>
    public int Read(Span<byte> destination, long offset)
    {
        var done = 0;
        while (done < destination.Length)
        {
            var window = WindowHolding(offset + done);
            var at = (int)(offset + done - window.Start);
            var n = Math.Min(destination.Length - done, window.Length - at);
            if (n <= 0)
            {
                break; // end of file
            }
            window.Memory.Span.Slice(at, n).CopyTo(destination[done..]);
            done += n;
        }
        return done;
    }

    private Window WindowHolding(long offset)
    {
        var current = _windows[_current];
        if (current.Holds(offset))
        {
            return current;
        }
        var start = offset - offset % AlignedBuffer.Alignment;
        _readAhead?.GetAwaiter().GetResult(); // its buffer is about to be used either way
        _readAhead = null;
        _current ^= 1;
        current = _windows[_current];
        if (!current.Holds(offset))
        {
            Fill(current, start);
        }
        if (current.Length == WindowSize)
        {
            var next = _windows[_current ^ 1];
            var nextStart = current.Start + WindowSize;
            _readAhead = Task.Run(() => Fill(next, nextStart));
        }
        return current;
    }

    private void Fill(Window window, long start)
    {
        window.Start = start;
        window.Length = 0;
        if (_direct)
        {
            try
            {
                window.Length = ReadFully(window.Memory.Span, start);
                return;
            }
            catch (IOException)
            {
                // EINVAL from a file system that took the flag but not the read: ordinary reads from here on.
                _direct = false;
                LibC.TrySetDirectIo(_handle, on: false);
            }
        }
        window.Length = ReadFully(window.Memory.Span, start);
    }

    private int ReadFully(Span<byte> buffer, long start)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var n = RandomAccess.Read(_handle, buffer[filled..], start + filled);
            if (n == 0)
            {
                break;
            }
            filled += n;
            // A direct read short of the window ends at the end of the file; a buffered one may just be short.
            if (_direct && filled % AlignedBuffer.Alignment != 0)
            {
                break;
            }
        }
        return filled;
    }

    public void Dispose()
    {
        // A read ahead still in flight finishes before the caller closes the file it reads.
        try
        {
            _readAhead?.GetAwaiter().GetResult();
        }
        catch (IOException)
        {
        }
    }

    private sealed class Window
    {
        public Memory<byte> Memory { get; } = AlignedBuffer.Allocate(WindowSize);
        public long Start { get; set; } = -1;
        public int Length { get; set; }

        public bool Holds(long offset) => Start >= 0 && offset >= Start && offset < Start + Length;
    }
}
