using System.Buffers;
using System.Text;

namespace Builder.Oci.Layers;

/// <summary>The fields of one tar header, before encoding.</summary>
internal sealed record TarHeader(string Name, byte TypeFlag)
{
    public uint Mode { get; init; }

    public long Uid { get; init; }

    public long Gid { get; init; }

    public long Size { get; init; }

    public long MtimeSeconds { get; init; }

    public string? LinkName { get; init; }

    public long DeviceMajor { get; init; }

    public long DeviceMinor { get; init; }

    public IReadOnlyDictionary<string, byte[]> Xattrs { get; init; } = new Dictionary<string, byte[]>();
}

/// <summary>
/// Encodes headers in the POSIX pax interchange format as Go's archive/tar does: a ustar header, preceded by a
/// pax extended header only when a field does not fit (long or non-ASCII names, big ids or sizes, xattrs).
/// uname/gname stay empty and no atime/ctime is written, so headers depend only on what the layer means.
/// </summary>
internal static class TarHeaderWriter
{
    private const long MaxOctal7 = 0x1FFFFF; // 7 octal digits
    private const long MaxOctal11 = 0x1FFFFFFFF; // 11 octal digits

    /// <summary>Appends the header blocks (pax header and its data first, when needed) to <paramref name="output"/>.</summary>
    public static void Write(TarHeader header, ArrayBufferWriter<byte> output)
    {
        var pax = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);

        var nameField = Encoding.UTF8.GetBytes(header.Name);
        byte[] prefixField = [];
        if (nameField.Length > 100 || !IsAscii(nameField))
        {
            if (IsAscii(nameField) && SplitUstarPath(nameField) is var (prefix, name))
            {
                prefixField = prefix;
                nameField = name;
            }
            else
            {
                pax["path"] = nameField;
                nameField = Placeholder(nameField, 100);
            }
        }

        var linkField = header.LinkName is null ? [] : Encoding.UTF8.GetBytes(header.LinkName);
        if (linkField.Length > 100 || !IsAscii(linkField))
        {
            pax["linkpath"] = linkField;
            linkField = Placeholder(linkField, 100);
        }

        var uid = FitOrPax(header.Uid, MaxOctal7, "uid", pax);
        var gid = FitOrPax(header.Gid, MaxOctal7, "gid", pax);
        var size = FitOrPax(header.Size, MaxOctal11, "size", pax);
        var mtime = FitOrPax(header.MtimeSeconds, MaxOctal11, "mtime", pax);
        if (header.DeviceMajor is < 0 or > MaxOctal7 || header.DeviceMinor is < 0 or > MaxOctal7)
        {
            throw new ArgumentException($"device numbers {header.DeviceMajor},{header.DeviceMinor} of {header.Name} do not fit a tar header");
        }
        foreach (var (key, value) in header.Xattrs)
        {
            if (key.Length == 0 || key.Contains('=') || key.Contains('\0'))
            {
                throw new ArgumentException($"invalid extended attribute name \"{key}\" on {header.Name}");
            }
            pax[TarFormat.XattrPrefix + key] = value;
        }

        if (pax.Count > 0)
        {
            var records = EncodePaxRecords(pax);
            var paxName = PaxHeaderName(header.Name);
            WriteBlock(output, paxName, [], 0, 0, 0, records.Length, 0, TarFormat.TypePaxHeader, [], 0, 0);
            output.Write(records);
            output.GetSpan(TarFormat.Padding(records.Length))[..TarFormat.Padding(records.Length)].Clear();
            output.Advance(TarFormat.Padding(records.Length));
        }

        WriteBlock(output, nameField, prefixField, header.Mode & 0xFFF, uid, gid, size, mtime, header.TypeFlag, linkField,
            header.DeviceMajor, header.DeviceMinor);
    }

    private static void WriteBlock(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> name, ReadOnlySpan<byte> prefix, uint mode,
        long uid, long gid, long size, long mtime, byte type, ReadOnlySpan<byte> linkName, long devMajor, long devMinor)
    {
        var block = output.GetSpan(TarFormat.BlockSize)[..TarFormat.BlockSize];
        block.Clear();
        name.CopyTo(block[..100]);
        Octal(block.Slice(100, 8), mode);
        Octal(block.Slice(108, 8), uid);
        Octal(block.Slice(116, 8), gid);
        Octal(block.Slice(124, 12), size);
        Octal(block.Slice(136, 12), mtime);
        block[156] = type;
        linkName.CopyTo(block.Slice(157, 100));
        "ustar\0"u8.CopyTo(block[257..]);
        "00"u8.CopyTo(block[263..]);
        Octal(block.Slice(329, 8), devMajor);
        Octal(block.Slice(337, 8), devMinor);
        prefix.CopyTo(block.Slice(345, 155));

        // The checksum is computed with its own field as eight spaces.
        block.Slice(148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in block)
        {
            sum += b;
        }
        Octal(block.Slice(148, 7), sum);
        block[155] = (byte)' ';
        output.Advance(TarFormat.BlockSize);
    }

    /// <summary>Zero-padded octal digits filling all but the last byte, which stays NUL.</summary>
    private static void Octal(Span<byte> field, long value)
    {
        var digits = field.Length - 1;
        for (var i = digits - 1; i >= 0; i--)
        {
            field[i] = (byte)('0' + (value & 7));
            value >>= 3;
        }
        field[digits] = 0;
    }

    private static long FitOrPax(long value, long max, string key, SortedDictionary<string, byte[]> pax)
    {
        if (value is >= 0 && value <= max)
        {
            return value;
        }
        if (value < 0 && key != "mtime")
        {
            throw new ArgumentException($"negative {key} {value} cannot be written to a tar header");
        }
        pax[key] = Encoding.ASCII.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return value < 0 ? 0 : max;
    }

    /// <summary>Go's splitUSTARPath: the last slash that leaves at most 155 bytes before it and 100 after.</summary>
    private static (byte[] Prefix, byte[] Name)? SplitUstarPath(byte[] path)
    {
        var length = path.Length;
        if (length <= 100)
        {
            return null;
        }
        if (length > 156)
        {
            length = 156;
        }
        else if (path[length - 1] == '/')
        {
            length--;
        }
        var i = path.AsSpan(0, length).LastIndexOf((byte)'/');
        var nameLength = path.Length - i - 1;
        if (i <= 0 || nameLength > 100 || nameLength == 0 || i > 155)
        {
            return null;
        }
        return (path[..i], path[(i + 1)..]);
    }

    private static byte[] PaxHeaderName(string name)
    {
        var trimmed = name.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        var paxName = slash < 0
            ? "PaxHeaders.0/" + trimmed
            : trimmed[..slash] + "/PaxHeaders.0/" + trimmed[(slash + 1)..];
        return Placeholder(Encoding.UTF8.GetBytes(paxName), 100);
    }

    /// <summary>An ASCII stand-in for readers that ignore pax records: non-ASCII bytes become '_', cut to fit.</summary>
    private static byte[] Placeholder(byte[] value, int max)
    {
        var result = value.Length > max ? value[..max] : (byte[])value.Clone();
        for (var i = 0; i < result.Length; i++)
        {
            if (result[i] >= 0x80)
            {
                result[i] = (byte)'_';
            }
        }
        return result;
    }

    private static bool IsAscii(ReadOnlySpan<byte> bytes) => System.Text.Ascii.IsValid(bytes) && !bytes.Contains((byte)0);

    /// <summary>"<c>%d %s=%s\n</c>" records, the length counting its own digits.</summary>
    private static byte[] EncodePaxRecords(SortedDictionary<string, byte[]> records)
    {
        var output = new ArrayBufferWriter<byte>();
        foreach (var (key, value) in records)
        {
            var keyBytes = Encoding.UTF8.GetBytes(key);
            var body = keyBytes.Length + value.Length + 3; // space, '=', newline
            var length = body + Digits(body);
            if (Digits(length) != Digits(body))
            {
                length = body + Digits(length);
            }
            output.Write(Encoding.ASCII.GetBytes(length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            output.Write(" "u8);
            output.Write(keyBytes);
            output.Write("="u8);
            output.Write(value);
            output.Write("\n"u8);
        }
        return output.WrittenSpan.ToArray();
    }

    private static int Digits(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
}
