using Builder.Engine.Context;

namespace Builder.Engine.Tests;

/// <summary>
/// The context's stat cache (path, size, mtime, inode → sha256) spares the next build reading unchanged files; it is
/// a hint: a changed file is read again, and a damaged cache file costs a re-read of everything, never a wrong digest.
/// </summary>
public sealed class StatCacheTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("stat-cache-").FullName;

    private string Context => Path.Combine(_root, "context");

    private string CachePath => Path.Combine(_root, "stat-cache");

    public StatCacheTests()
    {
        Directory.CreateDirectory(Path.Combine(Context, "dir"));
        File.WriteAllText(Path.Combine(Context, "a"), "a");
        File.WriteAllText(Path.Combine(Context, "dir", "b"), "b");
        File.WriteAllText(Path.Combine(Context, "dir", "ünïcode name"), "c");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly string[] Paths = ["a", "dir", "dir/b", "dir/ünïcode name"];

    private (string Hash, int Read) Build()
    {
        var context = BuildContext.Open(Context, null, CachePath);
        var hash = context.Hash(Paths);
        context.SaveStatCache();
        return (hash, context.FilesHashed);
    }

    [Fact]
    public void Unchanged_files_are_not_read_again_and_a_changed_one_is()
    {
        var first = Build();
        Assert.Equal(3, first.Read);
        Assert.Equal((first.Hash, 0), Build());

        File.WriteAllText(Path.Combine(Context, "dir", "b"), "B, longer");
        var changed = Build();
        Assert.Equal(1, changed.Read);
        Assert.NotEqual(first.Hash, changed.Hash);
        Assert.Equal(BuildContext.Open(Context, null, null).Hash(Paths), changed.Hash);
    }

    [Fact]
    public void A_damaged_cache_file_costs_a_re_read_not_a_wrong_digest()
    {
        var first = Build();
        var saved = File.ReadAllBytes(CachePath);
        // A cache that lies about a file's digest but is otherwise well-formed is what the stat check guards against;
        // these are the ways the file itself can be broken: every one is no cache at all.
        byte[][] damaged =
        [
            [],
            "{}"u8.ToArray(),
            saved[..^1],
            [.. saved, 0],
            [.. saved[..^40], .. new byte[40]], // well-formed, the last entry's inode and sha256 zeros: that file read again
        ];
        foreach (var bytes in damaged)
        {
            File.WriteAllBytes(CachePath, bytes);
            var again = Build();
            Assert.Equal(first.Hash, again.Hash);
            Assert.True(again.Read > 0, $"a damaged cache of {bytes.Length} bytes was used");
        }
    }

    [Fact]
    public void The_cache_file_round_trips()
    {
        var cache = new Dictionary<string, StatCacheEntry>(StringComparer.Ordinal)
        {
            ["/c/a"] = new(1, 1_700_000_000_123_456_789, 42, new string('a', 64)),
            ["/c/ü"] = new(0, -1, ulong.MaxValue, new string('0', 64)),
        };
        Assert.Equal(cache, StatCacheFile.TryParse(StatCacheFile.ToBytes(cache)));
        Assert.Empty(StatCacheFile.TryParse(StatCacheFile.ToBytes([]))!);
    }
}
