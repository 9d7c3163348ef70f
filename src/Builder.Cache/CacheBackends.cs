using Builder.Cache.Backends;
using Builder.Registry;

namespace Builder.Cache;

/// <summary>Opens the backend a spec names: a registry repository (type=registry) or an OCI layout directory (type=local).</summary>
public static class CacheBackends
{
    public static async Task<ICacheBackend> OpenAsync(RegistryClient registries, CacheSpec spec, bool push, CancellationToken cancellationToken) =>
        spec.Reference is not null
            ? await RegistryCacheBackend.OpenAsync(registries, spec, push, cancellationToken).ConfigureAwait(false)
            : await LayoutCacheBackend.OpenAsync(spec, push, cancellationToken).ConfigureAwait(false);
}
