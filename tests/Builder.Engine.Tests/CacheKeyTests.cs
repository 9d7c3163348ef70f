using Builder.Engine.Context;
using Builder.Engine.Solver;
using Builder.Oci;

namespace Builder.Engine.Tests;

/// <summary>
/// What a step's cache key is made of: its parent, its definition and the content it reads, never where or when a
/// file was written. (A key that moved with an mtime would make every CI checkout a cold build.)
/// </summary>
public sealed class CacheKeyTests : IDisposable
{
    private static readonly Digest Parent = Digest.Of("parent"u8.ToArray());
    private readonly string _root = Directory.CreateTempSubdirectory("cache-key-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void The_same_inputs_give_the_same_key_and_each_input_counts()
    {
        var key = CacheKey.Of(Parent, "RUN", "echo hi", "PATH=/bin");

        Assert.Equal(key, CacheKey.Of(Parent, "RUN", "echo hi", "PATH=/bin"));
        Assert.NotEqual(key, CacheKey.Of(Digest.Of("other"u8.ToArray()), "RUN", "echo hi", "PATH=/bin"));
        Assert.NotEqual(key, CacheKey.Of(Parent, "COPY", "echo hi", "PATH=/bin"));
        Assert.NotEqual(key, CacheKey.Of(Parent, "RUN", "echo hi", "PATH=/usr/bin"));
        Assert.NotEqual(key, CacheKey.Of(Parent, "RUN", "echo hi", "PATH=/bin", ""));
    }

    [Fact]
    public void Parts_are_delimited_so_moving_text_between_them_changes_the_key()
    {
        Assert.NotEqual(CacheKey.Of(Parent, "RUN", "ab", "c"), CacheKey.Of(Parent, "RUN", "a", "bc"));
        Assert.NotEqual(CacheKey.Of(Parent, "RUN", "a\0b"), CacheKey.Of(Parent, "RUN", "a", "b"));
    }

    [Fact]
    public void Context_content_changes_the_digest_times_and_the_checkout_directory_do_not()
    {
        var first = Write(Path.Combine(_root, "one"), "settings", "v1");
        var digest = Hash(first, "settings");

        File.SetLastWriteTimeUtc(Path.Combine(first, "settings"), DateTime.UtcNow.AddDays(-3));
        Assert.Equal(digest, Hash(first, "settings"));
        // Another checkout of the same files, elsewhere and later: the same digest.
        Assert.Equal(digest, Hash(Write(Path.Combine(_root, "two"), "settings", "v1"), "settings"));
        Assert.NotEqual(digest, Hash(Write(Path.Combine(_root, "three"), "settings", "v2"), "settings"));
        Assert.NotEqual(digest, Hash(Write(Path.Combine(_root, "four"), "renamed", "v1"), "renamed"));
    }

    [Fact]
    public void Mode_changes_change_the_context_digest()
    {
        var context = Write(Path.Combine(_root, "mode"), "run.sh", "echo");
        var digest = Hash(context, "run.sh");

        File.SetUnixFileMode(Path.Combine(context, "run.sh"), (UnixFileMode)Convert.ToInt32("755", 8));

        Assert.NotEqual(digest, Hash(context, "run.sh"));
    }

    private static string Write(string directory, string name, string content)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, name), content);
        File.SetUnixFileMode(Path.Combine(directory, name), (UnixFileMode)Convert.ToInt32("644", 8));
        return directory;
    }

    private static string Hash(string context, string path) => BuildContext.Open(context, null, null).Hash([path]);
}
