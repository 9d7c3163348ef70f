using System.Diagnostics;
using Builder.Cache;
using Builder.Oci.Content;
using Builder.Registry;

namespace Builder.Engine.Solver;

/// <summary>
/// A build's --cache-from and --cache-to: the import caches opened before the build (a step looks them up lazily,
/// through <see cref="CacheImporter"/>), the export after it succeeded. Every failure is a warning on the progress
/// output: a cache never fails a build.
/// </summary>
internal sealed class RemoteCache(OciLayoutStore store, RegistryClient registries, IBuildProgress progress) : IDisposable
{
    private readonly List<ImportCache> _imports = [];

    /// <summary>The importer over the --cache-from caches that could be opened; null when there are none.</summary>
    public async Task<CacheImporter?> OpenImportsAsync(IReadOnlyList<CacheSpec> specs, CancellationToken cancellationToken)
    {
        foreach (var spec in specs)
        {
            try
            {
                _imports.Add(new ImportCache(spec, await CacheBackends.OpenAsync(registries, spec, push: false, cancellationToken).ConfigureAwait(false)));
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                Warn($"cache {spec.Display}: {CacheImporter.Reason(e)}; building without it");
            }
        }
        return _imports.Count == 0 ? null : new CacheImporter(_imports, store, Warn);
    }

    /// <summary>
    /// Exports to each --cache-to cache the steps its mode names: mode=min those of the target's layers (a parent
    /// stage's included), mode=max those of every stage built.
    /// </summary>
    public async Task ExportAsync(IReadOnlyList<CacheSpec> specs, StageResult target, IReadOnlyCollection<StageResult> stages, Func<int> nextVertex,
        CancellationToken cancellationToken)
    {
        foreach (var spec in specs)
        {
            var vertex = nextVertex();
            var clock = Stopwatch.StartNew();
            progress.Report(new VertexStarted(vertex, DateTimeOffset.UtcNow, $"exporting cache to {spec.Display}"));
            var steps = spec.Mode == CacheExportMode.Max ? stages.SelectMany(s => s.Steps) : target.Steps;
            try
            {
                using var backend = await CacheBackends.OpenAsync(registries, spec, push: true, cancellationToken).ConfigureAwait(false);
                var written = await new CacheExporter(store, Warn).ExportAsync(backend, spec, steps, cancellationToken).ConfigureAwait(false);
                progress.Report(new VertexLog(vertex, DateTimeOffset.UtcNow, $"{written} step entr{(written == 1 ? "y" : "ies")} written", false));
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                Warn($"cache {spec.Display}: {CacheImporter.Reason(e)}; the cache was not exported");
            }
            progress.Report(new VertexCompleted(vertex, DateTimeOffset.UtcNow, clock.Elapsed, null));
        }
    }

    private void Warn(string message) => progress.Report(new BuildWarning(DateTimeOffset.UtcNow, message));

    public void Dispose()
    {
        foreach (var import in _imports)
        {
            import.Backend.Dispose();
        }
    }
}
