using System.Collections.Concurrent;
using System.Diagnostics;
using Builder.Cache;
using Builder.Registry;
using Builder.Sandbox.Mounts;

namespace Builder.Engine.Solver;

/// <summary>
/// The contents of <c>RUN --mount=type=cache</c> directories carried between machines (<c>cache-mounts=true</c> on a
/// <c>--cache-from</c> or <c>--cache-to</c>): a cache directory this store does not have yet starts from the first
/// import cache's copy, and after a successful build every id the build used is exported. <c>sharing=private</c>
/// mounts are neither: each user has a directory of its own, so there is no one content to carry.
/// Every failure is a warning on the progress output: a cache never fails a build.
/// </summary>
internal sealed class CacheMountExchange(BuildRequest request, RegistryClient registries, IBuildProgress progress, Func<int> nextVertex)
{
    private readonly ConcurrentDictionary<string, CacheMountRequest> _used = new(StringComparer.Ordinal);

    private IReadOnlyList<CacheSpec> Imports { get; } = [.. request.CacheFrom.Where(s => s.CacheMounts)];

    private IReadOnlyList<CacheSpec> Exports { get; } = [.. request.CacheTo.Where(s => s.CacheMounts)];

    /// <summary>
    /// What a RUN asks the cache mount store for: the id is remembered for the export, and a directory made new
    /// for it is filled from the import caches (the mount's own seed, <c>from=</c>, only when none has it).
    /// </summary>
    public CacheMountRequest Track(CacheMountRequest mount)
    {
        if (mount.Sharing == CacheSharing.Private)
        {
            return mount;
        }
        if (Exports.Count > 0)
        {
            _used.TryAdd(mount.Id, mount);
        }
        if (Imports.Count == 0)
        {
            return mount;
        }
        var seed = mount.Seed;
        return mount with
        {
            Seed = async (directory, cancellationToken) =>
            {
                if (!await ImportAsync(mount.Id, directory, cancellationToken).ConfigureAwait(false) && seed is not null)
                {
                    await seed(directory, cancellationToken).ConfigureAwait(false);
                }
            },
        };
    }

    /// <summary>After the build: each id used, locked (no Locked user elsewhere writes while it is read), to every export cache.</summary>
    public async Task ExportAsync(CacheMountStore store, CancellationToken cancellationToken)
    {
        if (_used.IsEmpty)
        {
            return;
        }
        var vertex = nextVertex();
        var clock = Stopwatch.StartNew();
        progress.Report(new VertexStarted(vertex, DateTimeOffset.UtcNow, $"exporting {_used.Count} cache mount{(_used.Count == 1 ? "" : "s")}"));
        var backends = new List<(ICacheBackend Backend, CacheSpec Spec)>();
        try
        {
            foreach (var spec in Exports)
            {
                if (await OpenAsync(spec, push: true, cancellationToken).ConfigureAwait(false) is { } backend)
                {
                    backends.Add((backend, spec));
                }
            }
            foreach (var (id, mount) in _used.OrderBy(u => u.Key, StringComparer.Ordinal))
            {
                using var lease = await store.AcquireAsync(mount with { Sharing = CacheSharing.Locked, Seed = null }, cancellationToken).ConfigureAwait(false);
                foreach (var (backend, spec) in backends)
                {
                    if (await CacheMountArchive.ExportAsync(backend, spec, id, lease.Directory, cancellationToken).ConfigureAwait(false) is { } warning)
                    {
                        Warn(warning);
                    }
                    else
                    {
                        progress.Report(new VertexLog(vertex, DateTimeOffset.UtcNow, $"{Display(id)} -> {spec.Display}", false));
                    }
                }
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // The store's side (a lock, the directory): the build has succeeded, and a cache never fails it.
            Warn($"cache mounts not exported: {CacheImporter.Reason(e)}");
        }
        finally
        {
            backends.ForEach(b => b.Backend.Dispose());
        }
        progress.Report(new VertexCompleted(vertex, DateTimeOffset.UtcNow, clock.Elapsed, null));
    }

    private async Task<bool> ImportAsync(string id, string directory, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var sources = new List<ImportCache>();
        try
        {
            foreach (var spec in Imports)
            {
                if (await OpenAsync(spec, push: false, cancellationToken).ConfigureAwait(false) is { } backend)
                {
                    sources.Add(new ImportCache(spec, backend));
                }
            }
            var (from, warnings) = await CacheMountArchive.ImportAsync(sources, id, directory, cancellationToken).ConfigureAwait(false);
            foreach (var warning in warnings)
            {
                Warn(warning);
            }
            if (from is not null)
            {
                var vertex = nextVertex();
                progress.Report(new VertexStarted(vertex, DateTimeOffset.UtcNow - clock.Elapsed, $"importing cache mount {Display(id)} from {from}"));
                progress.Report(new VertexCompleted(vertex, DateTimeOffset.UtcNow, clock.Elapsed, null));
            }
            return from is not null;
        }
        finally
        {
            sources.ForEach(s => s.Backend.Dispose());
        }
    }

    private async Task<ICacheBackend?> OpenAsync(CacheSpec spec, bool push, CancellationToken cancellationToken)
    {
        try
        {
            return await CacheBackends.OpenAsync(registries, spec, push, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            Warn($"cache {spec.Display}: {CacheImporter.Reason(e)}; cache mounts are not {(push ? "exported to" : "imported from")} it");
            return null;
        }
    }

    private void Warn(string message) => progress.Report(new BuildWarning(DateTimeOffset.UtcNow, message));

    /// <summary>Ids made with <c>from=</c> carry their source after a NUL; progress shows the id as written.</summary>
    private static string Display(string id) => id.Split('\0')[0];
}
