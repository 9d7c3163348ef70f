using System.Buffers.Binary;
using System.Text;

namespace Builder.Oci;

/// <summary>Reads what <see cref="RecordWriter"/> wrote; every read says whether the bytes held what was asked (a damaged file is no file).</summary>
public ref struct RecordReader(ReadOnlySpan<byte> bytes)
{
    public const int Sha256Length = 32;

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private ReadOnlySpan<byte> _bytes = bytes;

    /// <summary>Bytes not read yet: a count claiming more records than they could hold is refused before anything is allocated.</summary>
    public readonly int Left => _bytes.Length;

    public bool Bytes(ReadOnlySpan<byte> expected)
    {
        if (!_bytes.StartsWith(expected))
        {
            return false;
        }
        _bytes = _bytes[expected.Length..];
        return true;
    }

    public bool Int64(out long value)
    {
        value = 0;
        if (_bytes.Length < 8)
        {
            return false;
        }
        value = BinaryPrimitives.ReadInt64LittleEndian(_bytes);
        _bytes = _bytes[8..];
        return true;
    }

    public bool String(out string value)
    {
        value = "";
        if (!Int64(out var length) || length < 0 || length > _bytes.Length)
        {
            return false;
        }
        try
        {
            value = Strict.GetString(_bytes[..(int)length]);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        _bytes = _bytes[(int)length..];
        return true;
    }

    /// <summary>A sha256's 32 bytes, as lower-case hex.</summary>
    public bool Sha256Hex(out string hex)
    {
        hex = "";
        if (_bytes.Length < Sha256Length)
        {
            return false;
        }
        hex = Convert.ToHexStringLower(_bytes[..Sha256Length]);
        _bytes = _bytes[Sha256Length..];
        return true;
    }
}
