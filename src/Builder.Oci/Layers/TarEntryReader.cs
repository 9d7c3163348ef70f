using System.Globalization;
using System.Text;

namespace Builder.Oci.Layers;

/// <summary>
/// One entry's header as <see cref="TarEntryReader"/> read it, pax and GNU long-name records already applied.
/// <see cref="Name"/> is the path as written in the archive (not cleaned: it may start with <c>./</c> or end with
/// <c>/</c>); <see cref="Type"/> is one of the <see cref="TarFormat"/> type flags.
/// </summary>
public sealed record TarEntryHeader(string Name, byte Type)
{
    /// <summary>Permission bits plus setuid, setgid and sticky (the type is in <see cref="Type"/>).</summary>
    public uint Mode { get; init; }

    public long Uid { get; init; }

    public long Gid { get; init; }

    /// <summary>The bytes of data that follow: 0 for every type but regular files.</summary>
    public long Size { get; init; }

    public long MtimeSeconds { get; init; }

    public long MtimeNanoseconds { get; init; }

    /// <summary>A symlink's target, or the archive path a hardlink links to; empty otherwise.</summary>
    public string LinkName { get; init; } = string.Empty;

    public long DeviceMajor { get; init; }

    public long DeviceMinor { get; init; }

    /// <summary>Extended attributes from <c>SCHILY.xattr.*</c> pax records, values as raw bytes.</summary>
    public IReadOnlyDictionary<string, byte[]> Xattrs { get; init; } = System.Collections.ObjectModel.ReadOnlyDictionary<string, byte[]>.Empty;
}

/// <summary>
/// A streaming tar reader: ustar, pax (<c>x</c>, <c>g</c>, binary-safe <c>SCHILY.xattr.*</c> values), GNU long
/// names (<c>L</c>, <c>K</c>) and base-256 numbers. Our own rather than System.Formats.Tar because that one
/// decodes pax values as UTF-8, which corrupts binary xattrs such as <c>security.capability</c>.
/// Sparse files are refused: layers do not use them.
/// </summary>
/// <remarks>
/// Call <see cref="NextAsync"/> for each entry, and <see cref="ReadDataAsync"/> until it returns empty for the data of
/// one you want; data left unread is skipped. Malformed archives throw <see cref="InvalidDataException"/>. Used by the
/// layer applier, by <see cref="TarLayer"/> and by the SBOM scanner (Builder.Signing), which reads package databases
/// out of layers without extracting them.
/// </remarks>
public sealed class TarEntryReader(Stream stream)
{
    private const int MaxMetadataSize = 16 << 20;

    private readonly byte[] _buffer = new byte[128 * 1024];
    private readonly byte[] _block = new byte[TarFormat.BlockSize];
    private readonly Dictionary<string, byte[]> _global = new(StringComparer.Ordinal);
    private int _start;
    private int _end;
    private long _remaining;
    private int _padding;
    private bool _finished;

    /// <summary>The next entry, or null at the end of the archive; any unread data of the previous entry is skipped.</summary>
    public async ValueTask<TarEntryHeader?> NextAsync(CancellationToken cancellationToken)
    {
        if (_finished)
        {
            return null;
        }
        await SkipAsync(_remaining + _padding, cancellationToken).ConfigureAwait(false);
        _remaining = 0;
        _padding = 0;

        Dictionary<string, byte[]>? pax = null;
        string? longName = null;
        string? longLink = null;
        var block = _block;
        while (true)
        {
            if (!await ReadBlockAsync(block, cancellationToken).ConfigureAwait(false))
            {
                // Some writers stop without the two zero blocks; a clean end at a block boundary is the end.
                if (pax is not null || longName is not null || longLink is not null)
                {
                    throw new InvalidDataException("tar ends after an extended header, without its entry");
                }
                _finished = true;
                return null;
            }
            if (block.AsSpan().IndexOfAnyExcept((byte)0) < 0)
            {
                if (await ReadBlockAsync(block, cancellationToken).ConfigureAwait(false) && block.AsSpan().IndexOfAnyExcept((byte)0) >= 0)
                {
                    throw new InvalidDataException("tar has a single zero block followed by data");
                }
                _finished = true;
                return null;
            }
            VerifyChecksum(block);
            var type = block[156];
            var size = ParseNumber(block.AsSpan(124, 12), "size");
            if (pax is not null && pax.TryGetValue("size", out var paxSize))
            {
                size = ParseDecimal(paxSize, "pax size");
            }
            if (size < 0)
            {
                throw new InvalidDataException($"tar header has a negative size {size}");
            }
            switch (type)
            {
                case TarFormat.TypePaxHeader:
                    pax = ParsePax(await ReadMetadataAsync(size, cancellationToken).ConfigureAwait(false));
                    continue;
                case TarFormat.TypePaxGlobal:
                    foreach (var (key, value) in ParsePax(await ReadMetadataAsync(size, cancellationToken).ConfigureAwait(false)))
                    {
                        if (value.Length == 0)
                        {
                            _global.Remove(key);
                        }
                        else
                        {
                            _global[key] = value;
                        }
                    }
                    continue;
                case TarFormat.TypeGnuLongName:
                    longName = CString(await ReadMetadataAsync(size, cancellationToken).ConfigureAwait(false));
                    continue;
                case TarFormat.TypeGnuLongLink:
                    longLink = CString(await ReadMetadataAsync(size, cancellationToken).ConfigureAwait(false));
                    continue;
                case (byte)'V':
                    // A GNU volume label describes the archive, not a file.
                    await SkipAsync(size + TarFormat.Padding(size), cancellationToken).ConfigureAwait(false);
                    continue;
                case (byte)'S':
                    throw new InvalidDataException($"tar entry {CString(block.AsSpan(0, 100))} is a GNU sparse file, which layers do not support");
            }

            // Most entries of most layers have no records: nothing to merge, nothing allocated.
            var records = pax is null && _global.Count == 0 ? NoRecords : Merged(_global, pax);
            if (records.Keys.Any(k => k.StartsWith("GNU.sparse.", StringComparison.Ordinal)))
            {
                throw new InvalidDataException($"tar entry {CString(block.AsSpan(0, 100))} is a pax sparse file, which layers do not support");
            }

            var magic = block.AsSpan(257, 8);
            var ustar = magic.StartsWith("ustar\0"u8);
            var name = CString(block.AsSpan(0, 100));
            if (ustar && block[345] != 0)
            {
                name = CString(block.AsSpan(345, 155)) + "/" + name;
            }
            var header = new TarEntryHeader(name, type)
            {
                Mode = (uint)(ParseNumber(block.AsSpan(100, 8), "mode") & 0xFFF),
                Uid = ParseNumber(block.AsSpan(108, 8), "uid"),
                Gid = ParseNumber(block.AsSpan(116, 8), "gid"),
                Size = size,
                MtimeSeconds = ParseNumber(block.AsSpan(136, 12), "mtime"),
                LinkName = CString(block.AsSpan(157, 100)),
                DeviceMajor = ustar || magic.StartsWith("ustar "u8) ? ParseNumber(block.AsSpan(329, 8), "devmajor") : 0,
                DeviceMinor = ustar || magic.StartsWith("ustar "u8) ? ParseNumber(block.AsSpan(337, 8), "devminor") : 0,
            };
            header = ApplyRecords(header, records, longName, longLink);

            // Only regular files carry data in layers; a hardlink or directory with a size field is skipped over.
            _remaining = type is TarFormat.TypeSymlink or TarFormat.TypeHardlink or TarFormat.TypeChar or TarFormat.TypeBlock
                or TarFormat.TypeDirectory or TarFormat.TypeFifo ? 0 : size;
            _padding = TarFormat.Padding(_remaining);
            if (_remaining == 0 && size > 0)
            {
                await SkipAsync(size + TarFormat.Padding(size), cancellationToken).ConfigureAwait(false);
            }
            return header with { Size = _remaining };
        }
    }

    /// <summary>The next piece of the current entry's data (from the internal buffer, valid until the next call); empty at its end.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadDataAsync(CancellationToken cancellationToken)
    {
        if (_remaining == 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidDataException($"tar ends in the middle of an entry ({_remaining} bytes missing)");
        }
        var n = (int)Math.Min(_remaining, _end - _start);
        var data = _buffer.AsMemory(_start, n);
        _start += n;
        _remaining -= n;
        return data;
    }

    private static readonly IReadOnlyDictionary<string, byte[]> NoRecords = System.Collections.ObjectModel.ReadOnlyDictionary<string, byte[]>.Empty;

    // The global records with the entry's own over them.
    private static Dictionary<string, byte[]> Merged(Dictionary<string, byte[]> global, Dictionary<string, byte[]>? pax)
    {
        var records = new Dictionary<string, byte[]>(global, StringComparer.Ordinal);
        foreach (var (key, value) in pax ?? [])
        {
            records[key] = value;
        }
        return records;
    }

    private static TarEntryHeader ApplyRecords(TarEntryHeader header, IReadOnlyDictionary<string, byte[]> records, string? longName, string? longLink)
    {
        if (records.Count == 0 && longName is null && longLink is null)
        {
            return header;
        }
        var xattrs = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (key, value) in records)
        {
            switch (key)
            {
                case "path":
                    header = header with { Name = Utf8(value) };
                    break;
                case "linkpath":
                    header = header with { LinkName = Utf8(value) };
                    break;
                case "uid":
                    header = header with { Uid = ParseDecimal(value, "pax uid") };
                    break;
                case "gid":
                    header = header with { Gid = ParseDecimal(value, "pax gid") };
                    break;
                case "mtime":
                    var (seconds, nanoseconds) = ParseTime(value);
                    header = header with { MtimeSeconds = seconds, MtimeNanoseconds = nanoseconds };
                    break;
                default:
                    if (key.StartsWith(TarFormat.XattrPrefix, StringComparison.Ordinal) && key.Length > TarFormat.XattrPrefix.Length)
                    {
                        xattrs[key[TarFormat.XattrPrefix.Length..]] = value;
                    }
                    break;
            }
        }
        if (longName is not null && !records.ContainsKey("path"))
        {
            header = header with { Name = longName };
        }
        if (longLink is not null && !records.ContainsKey("linkpath"))
        {
            header = header with { LinkName = longLink };
        }
        return header with { Xattrs = xattrs };
    }

    private static void VerifyChecksum(byte[] block)
    {
        var stored = ParseNumber(block.AsSpan(148, 8), "checksum");
        long unsigned = 0;
        long signed = 0;
        for (var i = 0; i < block.Length; i++)
        {
            var b = i is >= 148 and < 156 ? (byte)' ' : block[i];
            unsigned += b;
            signed += (sbyte)b;
        }
        if (stored != unsigned && stored != signed)
        {
            throw new InvalidDataException($"tar header checksum mismatch (is this a tar stream?) near entry \"{CString(block.AsSpan(0, 100))}\"");
        }
    }

    /// <summary>Octal (space or NUL terminated), or GNU base-256 when the high bit of the first byte is set.</summary>
    private static long ParseNumber(ReadOnlySpan<byte> field, string what)
    {
        if ((field[0] & 0x80) != 0)
        {
            var negative = field[0] == 0xFF;
            long value = field[0] & 0x7F;
            if (negative)
            {
                value = -1;
            }
            foreach (var b in field[1..])
            {
                if (!negative && value > (long.MaxValue >> 8))
                {
                    throw new InvalidDataException($"tar {what} field overflows");
                }
                value = (value << 8) | b;
            }
            return value;
        }
        var text = field.Trim((byte)' ').Trim((byte)0);
        var nul = text.IndexOf((byte)0);
        if (nul >= 0)
        {
            text = text[..nul];
        }
        text = text.Trim((byte)' ');
        long result = 0;
        foreach (var b in text)
        {
            if (b is < (byte)'0' or > (byte)'7')
            {
                throw new InvalidDataException($"tar {what} field \"{Encoding.ASCII.GetString(field)}\" is not octal");
            }
            result = checked((result << 3) | (long)(b - '0'));
        }
        return result;
    }

    private static long ParseDecimal(byte[] value, string what) =>
        long.TryParse(Encoding.ASCII.GetString(value), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new InvalidDataException($"tar {what} \"{Encoding.ASCII.GetString(value)}\" is not a number");

    /// <summary>A pax time, <c>[-]seconds[.fraction]</c>.</summary>
    private static (long Seconds, long Nanoseconds) ParseTime(byte[] value)
    {
        var text = Encoding.ASCII.GetString(value);
        var dot = text.IndexOf('.');
        var secondsText = dot < 0 ? text : text[..dot];
        if (!long.TryParse(secondsText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds))
        {
            throw new InvalidDataException($"tar pax mtime \"{text}\" is not a time");
        }
        if (dot < 0)
        {
            return (seconds, 0);
        }
        var fraction = text[(dot + 1)..];
        if (fraction.Length == 0 || !fraction.All(char.IsAsciiDigit))
        {
            throw new InvalidDataException($"tar pax mtime \"{text}\" is not a time");
        }
        var nanoseconds = long.Parse(fraction.PadRight(9, '0')[..9], CultureInfo.InvariantCulture);
        // "-1.5" is one and a half seconds before the epoch.
        return text.StartsWith('-') && nanoseconds > 0 ? (seconds - 1, 1_000_000_000 - nanoseconds) : (seconds, nanoseconds);
    }

    /// <summary>"<c>%d %s=%s\n</c>" records; values are kept as bytes.</summary>
    private static Dictionary<string, byte[]> ParsePax(byte[] data)
    {
        var records = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var rest = data.AsSpan();
        while (rest.Length > 0)
        {
            var space = rest.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(Encoding.ASCII.GetString(rest[..space]), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || length <= space + 1 || length > rest.Length || rest[length - 1] != '\n')
            {
                throw new InvalidDataException("tar pax header has a malformed record");
            }
            var record = rest[(space + 1)..(length - 1)];
            var equals = record.IndexOf((byte)'=');
            if (equals <= 0)
            {
                throw new InvalidDataException("tar pax header has a record without a key");
            }
            records[Encoding.UTF8.GetString(record[..equals])] = record[(equals + 1)..].ToArray();
            rest = rest[length..];
        }
        return records;
    }

    private static string CString(ReadOnlySpan<byte> bytes)
    {
        var nul = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul < 0 ? bytes : bytes[..nul]);
    }

    private static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    private async ValueTask<byte[]> ReadMetadataAsync(long size, CancellationToken cancellationToken)
    {
        if (size > MaxMetadataSize)
        {
            throw new InvalidDataException($"tar extended header of {size} bytes is larger than the {MaxMetadataSize} allowed");
        }
        var data = new byte[size];
        var filled = 0;
        while (filled < size)
        {
            if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidDataException("tar ends inside an extended header");
            }
            var n = Math.Min((int)size - filled, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(data.AsSpan(filled));
            _start += n;
            filled += n;
        }
        await SkipAsync(TarFormat.Padding(size), cancellationToken).ConfigureAwait(false);
        return data;
    }

    /// <summary>Reads one 512-byte block; false at a clean end of stream, an error in the middle of a block.</summary>
    private async ValueTask<bool> ReadBlockAsync(byte[] block, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < block.Length)
        {
            if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                return filled == 0 ? false : throw new InvalidDataException("tar ends in the middle of a header block");
            }
            var n = Math.Min(block.Length - filled, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(block.AsSpan(filled));
            _start += n;
            filled += n;
        }
        return true;
    }

    private async ValueTask SkipAsync(long count, CancellationToken cancellationToken)
    {
        if (count > _end - _start && stream is IForwardSkippable skippable)
        {
            // What is buffered, then the rest without reading it.
            count -= _end - _start;
            _start = _end;
            if (await skippable.SkipAsync(count, cancellationToken).ConfigureAwait(false) != count)
            {
                throw new InvalidDataException("tar ends in the middle of an entry");
            }
            return;
        }
        while (count > 0)
        {
            if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidDataException("tar ends in the middle of an entry");
            }
            var n = (int)Math.Min(count, _end - _start);
            _start += n;
            count -= n;
        }
    }

    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        _end = await stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
        return _end > 0;
    }
}
