using System.IO.Compression;
using ICSharpCode.SharpZipLib.BZip2;

namespace Builder.Engine.Semantics;

/// <summary>
/// ADD's archive rule, as docker's and BuildKit's: a local source is extracted when, once decompressed (gzip, bzip2,
/// xz or zstd, told by their magic bytes), it starts with a valid tar header; anything else, a compressed file that
/// is not a tar included, is copied as it is.
/// </summary>
public static class AddArchives
{
    private const int BlockSize = 512;

    /// <summary>Whether the file at <paramref name="path"/> is a tar archive ADD extracts.</summary>
    public static bool IsArchive(string path)
    {
        using var stream = OpenDecompressed(path);
        var block = new byte[BlockSize];
        return stream.ReadAtLeast(block, BlockSize, throwOnEndOfStream: false) == BlockSize && IsValidHeader(block);
    }

    /// <summary>The file's bytes decompressed (or as they are when they are not compressed).</summary>
    public static Stream OpenDecompressed(string path)
    {
        var file = File.OpenRead(path);
        try
        {
            var magic = new byte[6];
            var read = file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
            file.Position = 0;
            return magic.AsSpan(0, read) switch
            {
                [0x1f, 0x8b, 0x08, ..] => new GZipStream(file, CompressionMode.Decompress),
                [(byte)'B', (byte)'Z', (byte)'h', ..] => new BZip2InputStream(file),
                [0xfd, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00] => new XzDecoderStream(file),
                [0x28, 0xb5, 0x2f, 0xfd, ..] => new ZstdSharp.DecompressionStream(file, leaveOpen: false),
                _ => file,
            };
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// What Go's archive/tar accepts as a first header: not all zeros, and the checksum (the header's bytes summed with
    /// the checksum field as spaces, unsigned or signed) equal to the octal number in that field.
    /// </summary>
    public static bool IsValidHeader(ReadOnlySpan<byte> block)
    {
        if (block.Length < BlockSize || !block[..BlockSize].ContainsAnyExcept((byte)0))
        {
            return false;
        }
        long unsigned = 0;
        long signed = 0;
        for (var i = 0; i < BlockSize; i++)
        {
            var value = i is >= 148 and < 156 ? (byte)' ' : block[i];
            unsigned += value;
            signed += (sbyte)value;
        }
        var field = block[148..156];
        long recorded = 0;
        var digits = 0;
        foreach (var c in field)
        {
            if (c is >= (byte)'0' and <= (byte)'7')
            {
                recorded = recorded * 8 + (c - '0');
                digits++;
            }
            else if (c is (byte)' ' or 0 && digits == 0)
            {
                continue;
            }
            else if (c is (byte)' ' or 0)
            {
                break;
            }
            else
            {
                return false;
            }
        }
        return digits > 0 && (recorded == unsigned || recorded == signed);
    }
}
