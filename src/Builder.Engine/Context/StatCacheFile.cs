using Builder.Oci;

namespace Builder.Engine.Context;

/// <summary>The stat cache on disk (<see cref="RecordWriter"/>: at 40,000 files its JSON was 9.4 MB, read on every build).</summary>
internal static class StatCacheFile
{
    private static ReadOnlySpan<byte> Magic => "builder stat cache 1\n"u8;

    public static byte[] ToBytes(Dictionary<string, StatCacheEntry> cache)
    {
        var output = new RecordWriter(32 + cache.Count * 160);
        output.Bytes(Magic);
        output.Int64(cache.Count);
        foreach (var (path, entry) in cache)
        {
            output.String(path);
            output.Int64(entry.Size);
            output.Int64(entry.MtimeNanoseconds);
            output.Int64((long)entry.Inode);
            output.Sha256Hex(entry.Sha256);
        }
        return output.ToArray();
    }

    public static Dictionary<string, StatCacheEntry>? TryParse(ReadOnlySpan<byte> bytes)
    {
        var reader = new RecordReader(bytes);
        if (!reader.Bytes(Magic) || !reader.Int64(out var count) || count < 0 || count > reader.Left / (4 * 8 + RecordReader.Sha256Length))
        {
            return null;
        }
        var cache = new Dictionary<string, StatCacheEntry>((int)count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            if (!reader.String(out var path) || !reader.Int64(out var size) || !reader.Int64(out var mtime) || !reader.Int64(out var inode)
                || !reader.Sha256Hex(out var sha256))
            {
                return null;
            }
            cache[path] = new StatCacheEntry(size, mtime, (ulong)inode, sha256);
        }
        return reader.Left == 0 ? cache : null;
    }
}
