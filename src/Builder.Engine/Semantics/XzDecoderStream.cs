using System.Runtime.InteropServices;

namespace Builder.Engine.Semantics;

/// <summary>
/// Reads .xz data as its decompressed bytes through the system's liblzma (liblzma5, part of every Debian and Ubuntu
/// base system, as docker's ADD uses xz), concatenated streams included. Disposing it disposes the input.
/// </summary>
public sealed unsafe partial class XzDecoderStream : Stream
{
    private const string Library = "liblzma.so.5";
    private const int StreamStructSize = 136; // lzma_stream on 64-bit Linux; LZMA_STREAM_INIT is all zeros
    private const int InputBufferSize = 1 << 16;
    private const uint Concatenated = 0x08;
    private const int Run = 0;
    private const int Finish = 3;
    private const int Ok = 0;
    private const int StreamEnd = 1;

    private readonly Stream _input;
    private readonly byte* _stream;
    private readonly byte* _buffer;
    private bool _inputDone;
    private bool _ended;
    private bool _disposed;

    public XzDecoderStream(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _input = input;
        _stream = (byte*)NativeMemory.AllocZeroed(StreamStructSize);
        _buffer = (byte*)NativeMemory.Alloc(InputBufferSize);
        var result = lzma_stream_decoder(_stream, ulong.MaxValue, Concatenated);
        if (result != Ok)
        {
            NativeMemory.Free(_stream);
            NativeMemory.Free(_buffer);
            throw new InvalidDataException($"xz: the decoder did not start (liblzma error {result})");
        }
    }

    // The fields of lzma_stream this stream drives: next_in, avail_in, next_out, avail_out.
    private ref nint NextIn => ref *(nint*)_stream;

    private ref nuint AvailIn => ref *(nuint*)(_stream + 8);

    private ref nint NextOut => ref *(nint*)(_stream + 24);

    private ref nuint AvailOut => ref *(nuint*)(_stream + 32);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_ended || buffer.Length == 0)
        {
            return 0;
        }
        fixed (byte* output = buffer)
        {
            NextOut = (nint)output;
            AvailOut = (nuint)buffer.Length;
            while (true)
            {
                if (AvailIn == 0 && !_inputDone)
                {
                    var read = _input.Read(new Span<byte>(_buffer, InputBufferSize));
                    _inputDone = read == 0;
                    NextIn = (nint)_buffer;
                    AvailIn = (nuint)read;
                }
                var result = lzma_code(_stream, _inputDone ? Finish : Run);
                var produced = buffer.Length - (int)AvailOut;
                if (result == StreamEnd)
                {
                    _ended = true;
                    return produced;
                }
                if (result != Ok)
                {
                    throw new InvalidDataException($"xz: the data is damaged or not xz (liblzma error {result})");
                }
                if (produced > 0)
                {
                    return produced;
                }
            }
        }
    }

    // liblzma is synchronous and CPU-bound, and the input is a local file: reads complete at once.
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<int>(cancellationToken) : ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (!_disposed)
        {
            _disposed = true;
            lzma_end(_stream);
            NativeMemory.Free(_stream);
            NativeMemory.Free(_buffer);
            if (disposing)
            {
                _input.Dispose();
            }
        }
        base.Dispose(disposing);
    }

    ~XzDecoderStream()
    {
        Dispose(false);
    }

    [LibraryImport(Library)]
    private static partial int lzma_stream_decoder(byte* stream, ulong memoryLimit, uint flags);

    [LibraryImport(Library)]
    private static partial int lzma_code(byte* stream, int action);

    [LibraryImport(Library)]
    private static partial void lzma_end(byte* stream);
}
