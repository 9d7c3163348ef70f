using Builder.Sandbox.Mounts;

namespace Builder.Sandbox.Tests.Mounts;

public sealed class CacheMountStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cache-mounts-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Contents_persist_to_the_next_user_even_in_another_store_instance()
    {
        using (var first = await new CacheMountStore(_root).AcquireAsync(new CacheMountRequest("/root/.cache/pip", CacheSharing.Locked), CancellationToken.None))
        {
            await File.WriteAllTextAsync(Path.Combine(first.Directory, "wheel"), "kept");
        }

        using var second = await new CacheMountStore(_root).AcquireAsync(new CacheMountRequest("/root/.cache/pip", CacheSharing.Locked), CancellationToken.None);

        Assert.Equal("kept", await File.ReadAllTextAsync(Path.Combine(second.Directory, "wheel")));
    }

    [Fact]
    public async Task Shared_users_get_the_same_directory_at_once()
    {
        var store = new CacheMountStore(_root);

        using var a = await store.AcquireAsync(new CacheMountRequest("apt", CacheSharing.Shared), CancellationToken.None);
        using var b = await store.AcquireAsync(new CacheMountRequest("apt", CacheSharing.Shared), CancellationToken.None);

        Assert.Equal(a.Directory, b.Directory);
    }

    [Fact]
    public async Task A_locked_cache_makes_the_second_user_wait_for_the_first()
    {
        var store = new CacheMountStore(_root);
        var first = await store.AcquireAsync(new CacheMountRequest("apt", CacheSharing.Locked), CancellationToken.None);

        var second = store.AcquireAsync(new CacheMountRequest("apt", CacheSharing.Locked), CancellationToken.None);
        await Task.Delay(300);
        var waited = !second.IsCompleted;
        first.Dispose();
        using var lease = await second.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(waited);
        Assert.Equal(first.Directory, lease.Directory);
    }

    [Fact]
    public async Task A_private_cache_gives_a_concurrent_user_its_own_directory()
    {
        var store = new CacheMountStore(_root);

        using var a = await store.AcquireAsync(new CacheMountRequest("go", CacheSharing.Private), CancellationToken.None);
        using var b = await store.AcquireAsync(new CacheMountRequest("go", CacheSharing.Private), CancellationToken.None);

        Assert.NotEqual(a.Directory, b.Directory);
    }

    [Fact]
    public async Task Different_ids_never_share_a_directory_even_when_they_look_alike()
    {
        var store = new CacheMountStore(_root);

        using var a = await store.AcquireAsync(new CacheMountRequest("/var/cache", CacheSharing.Shared), CancellationToken.None);
        using var b = await store.AcquireAsync(new CacheMountRequest("var_cache", CacheSharing.Shared), CancellationToken.None);

        Assert.NotEqual(a.Directory, b.Directory);
        Assert.StartsWith(_root, a.Directory);
    }

    [Fact]
    public async Task A_new_cache_directory_has_the_requested_owner_and_mode()
    {
        var store = new CacheMountStore(_root);

        using var lease = await store.AcquireAsync(
            new CacheMountRequest("owned", CacheSharing.Shared) { UserId = 1000, GroupId = 1001, Mode = (UnixFileMode)0b111_000_000 },
            CancellationToken.None);

        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(lease.Directory));
        var (uid, gid) = Owner(lease.Directory);
        Assert.Equal((1000, 1001), (uid, gid));
    }

    private static (int Uid, int Gid) Owner(string path)
    {
        var start = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u %g", path]) { RedirectStandardOutput = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        var parts = process.StandardOutput.ReadToEnd().Split(' ', StringSplitOptions.TrimEntries);
        process.WaitForExit();
        return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }
}
