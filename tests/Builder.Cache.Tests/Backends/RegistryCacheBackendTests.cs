using Builder.Cache.Backends;
using Builder.IntegrationTests.Fixtures;
using Builder.Oci.References;
using Builder.Registry;
using Builder.Registry.Credentials;

namespace Builder.Cache.Tests.Backends;

/// <summary>One real CNCF registry (docker-registry, deletes enabled) for the whole suite.</summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    public RegistryProcess Registry { get; private set; } = null!;

    public RegistryClient Client { get; } = new(new RegistryOptions(), new NoCredentials());

    public async Task InitializeAsync() => Registry = await RegistryProcess.StartAsync();

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Registry.DisposeAsync();
    }

    private sealed class NoCredentials : ICredentialProvider
    {
        public Task<RegistryCredential?> GetAsync(string registry, CancellationToken cancellationToken) => Task.FromResult<RegistryCredential?>(null);
    }
}

/// <summary>The conformance suite against a real registry: each test in a repository of its own.</summary>
public sealed class RegistryCacheBackendTests(RegistryFixture fixture) : CacheBackendConformance, IClassFixture<RegistryFixture>
{
    protected override async Task<ICacheBackend> OpenAsync(string place, bool push)
    {
        var spec = new CacheSpec(ImageReference.Parse($"{fixture.Registry.Host}/{place}:{CacheSpec.DefaultTag}"), null, CacheSpec.DefaultTag);
        return await RegistryCacheBackend.OpenAsync(fixture.Client, spec, push, CancellationToken.None);
    }

    // The registry's access log has a line per request ("GET /v2/… HTTP/1.1" 404 …); it reaches us a moment after the answer does.
    protected override async Task<int?> RequestsMentioningAsync(string fragment)
    {
        int Count() => fixture.Registry.CountLogLines(fragment, " HTTP/1.1\" ");
        for (var i = 0; i < 50 && Count() == 0; i++)
        {
            await Task.Delay(100);
        }
        await Task.Delay(200);
        return Count();
    }
}
