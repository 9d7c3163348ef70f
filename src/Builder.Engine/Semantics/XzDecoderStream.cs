using System.Runtime.InteropServices;
using Builder.Oci;

namespace Builder.Engine.Semantics;

/// <summary>
/// Reads .xz data as its decompressed bytes through the system's liblzma (liblzma5, part of every Debian and Ubuntu
/// base system, as docker's ADD uses xz), concatenated streams included. Disposing it disposes the input.
/// liblzma is synchronous and CPU-bound and the input is a local file, so async reads complete at once (the base's).
/// </summary>
public sealed unsafe partial class XzDecoderStream : ReadOnlyStream
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
