using Builder.Cache;
using Builder.Engine.Solver;
using Builder.Registry;
using Builder.Registry.Credentials;
using Builder.Sandbox.Mounts;

namespace Builder.Engine.Tests;

/// <summary>Cache mount contents through a local (OCI layout) cache, from one store's cache mounts to another's.</summary>
public sealed class CacheMountExchangeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cache-mount-exchange-").FullName;
    // Local caches only: the client is never asked, and reads no credentials.
    private readonly RegistryClient _registries = new(new RegistryOptions(), new DockerCredentialProvider(_ => null));
    private readonly Progress _progress = new();
    private int _vertex;

    private string Layout => Path.Combine(_root, "layout");

    [Fact]
    public async Task A_used_cache_mount_is_exported_and_a_new_store_starts_from_it()
    {
        await UseAsync(Exporting(), "a", new CacheMountRequest("/cache", CacheSharing.Shared), "from A");

        var (content, _) = await ReadAsync(Importing(), "b", new CacheMountRequest("/cache", CacheSharing.Shared));

        Assert.Equal("from A", content);
        Assert.Empty(_progress.Warnings);
    }

    [Fact]
    public async Task Private_mounts_are_neither_exported_nor_imported()
    {
        await UseAsync(Exporting(), "a", new CacheMountRequest("/cache", CacheSharing.Shared), "shared");
        await UseAsync(Exporting(), "a2", new CacheMountRequest("/private", CacheSharing.Private), "private");

        var (shared, _) = await ReadAsync(Importing(), "b", new CacheMountRequest("/cache", CacheSharing.Private));
        var (other, _) = await ReadAsync(Importing(), "b", new CacheMountRequest("/private", CacheSharing.Shared));

        Assert.Null(shared);
        Assert.Null(other);
    }

    [Fact]
    public async Task A_directory_the_store_has_already_is_kept()
    {
        await UseAsync(Exporting(), "a", new CacheMountRequest("/cache", CacheSharing.Shared), "from A");
        await UseAsync(new CacheMountExchange(new BuildRequest { ContextDirectory = _root }, _registries, _progress, () => ++_vertex), "b",
            new CacheMountRequest("/cache", CacheSharing.Shared), "local");

        var (content, _) = await ReadAsync(Importing(), "b", new CacheMountRequest("/cache", CacheSharing.Shared));

        Assert.Equal("local", content);
    }

    [Fact]
    public async Task The_mounts_own_seed_fills_it_when_no_cache_has_it()
    {
        Directory.CreateDirectory(Layout);
        var seeded = new CacheMountRequest("/cache", CacheSharing.Locked)
        {
            Seed = (directory, _) => File.WriteAllTextAsync(Path.Combine(directory, "file"), "seed"),
        };
        await UseAsync(Exporting(), "a", new CacheMountRequest("/other", CacheSharing.Locked), "x");

        var (content, _) = await ReadAsync(Importing(), "b", seeded);

        Assert.Equal("seed", content);
    }

    [Fact]
    public async Task An_unusable_cache_is_a_warning_and_the_mount_starts_empty()
    {
        var (content, exists) = await ReadAsync(Importing(), "b", new CacheMountRequest("/cache", CacheSharing.Shared));

        Assert.Null(content);
        Assert.True(exists);
        Assert.Contains(Layout, Assert.Single(_progress.Warnings));
    }

    public void Dispose()
    {
        _registries.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private CacheMountExchange Exporting() => new(
        new BuildRequest { ContextDirectory = _root, CacheTo = [new CacheSpec(null, Layout, CacheSpec.DefaultTag) { CacheMounts = true }] },
        _registries, _progress, () => ++_vertex);

    private CacheMountExchange Importing() => new(
        new BuildRequest { ContextDirectory = _root, CacheFrom = [new CacheSpec(null, Layout, CacheSpec.DefaultTag) { CacheMounts = true }] },
        _registries, _progress, () => ++_vertex);

    /// <summary>A build on store <paramref name="store"/> whose step writes <paramref name="content"/> into the mount; then the export.</summary>
    private async Task UseAsync(CacheMountExchange exchange, string store, CacheMountRequest request, string content)
    {
        var mounts = new CacheMountStore(Path.Combine(_root, store));
        using (var lease = await mounts.AcquireAsync(exchange.Track(request), CancellationToken.None))
        {
            await File.WriteAllTextAsync(Path.Combine(lease.Directory, "file"), content);
        }
        await exchange.ExportAsync(mounts, CancellationToken.None);
    }

    /// <summary>What a step on store <paramref name="store"/> finds in the mount's file (null: no file).</summary>
    private async Task<(string? Content, bool Exists)> ReadAsync(CacheMountExchange exchange, string store, CacheMountRequest request)
    {
        using var lease = await new CacheMountStore(Path.Combine(_root, store)).AcquireAsync(exchange.Track(request), CancellationToken.None);
        var file = Path.Combine(lease.Directory, "file");
        return (File.Exists(file) ? await File.ReadAllTextAsync(file) : null, Directory.Exists(lease.Directory));
    }

    private sealed class Progress : IBuildProgress
    {
        private readonly List<BuildEvent> _events = [];

        public IReadOnlyList<string> Warnings
        {
            get
            {
                lock (_events)
                {
                    return [.. _events.OfType<BuildWarning>().Select(w => w.Message)];
                }
            }
        }

        public void Report(BuildEvent buildEvent)
        {
            lock (_events)
            {
                _events.Add(buildEvent);
            }
        }
    }
}
