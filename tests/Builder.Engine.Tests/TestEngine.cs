using Builder.Engine.Solver;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Registry;
using Builder.Registry.Credentials;
using Builder.Sandbox;
using Builder.Sandbox.Snapshots;

namespace Builder.Engine.Tests;

/// <summary>
/// The engine over a store, a step cache and a context in a temporary directory, without root, a runtime or a registry:
/// it builds Dockerfiles without RUN (COPY and WORKDIR write their layers themselves). Builds share the store, so a
/// second build of the same steps finds them in the cache.
/// </summary>
internal sealed class TestEngine : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("builder-engine-tests-").FullName;

    public TestEngine() => Context = Directory.CreateDirectory(Path.Combine(_directory, "context")).FullName;

    public string Context { get; }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>The progress events of the last build, also when it failed.</summary>
    public IReadOnlyList<BuildEvent> LastEvents => _progress.Events;

    private RecordedProgress _progress = new();

    /// <summary>The store the builds write to (open it to put base images in).</summary>
    public Task<OciLayoutStore> OpenStoreAsync() => OciLayoutStore.OpenAsync(Path.Combine(_directory, "store"), CancellationToken.None);

    /// <summary>The binfmt_misc handlers builds see (default: this machine's).</summary>
    public BinfmtEmulators? Emulators { get; set; }

    public void WriteFile(string name, string content) => File.WriteAllText(Path.Combine(Context, name), content);

    /// <summary>Builds <paramref name="dockerfile"/>; the image config it made and the progress events, in the order reported.</summary>
    public async Task<(ImageConfig Image, IReadOnlyList<BuildEvent> Events)> BuildAsync(string dockerfile, string? target = null, IReadOnlyDictionary<string, string>? buildArgs = null)
    {
        WriteFile("Dockerfile", dockerfile);
        var store = await OpenStoreAsync();
        using var registries = new RegistryClient(new RegistryOptions(), new NoCredentials());
        var builder = new ImageBuilder(store, new NoSnapshots(), new LayerCache(Path.Combine(_directory, "layers")), new NoExecutor(), registries, Emulators);
        var request = new BuildRequest { ContextDirectory = Context, Target = target, BuildArgs = buildArgs ?? new Dictionary<string, string>(), RunChecks = false };
        var progress = _progress = new RecordedProgress();

        var result = await builder.BuildAsync(request, progress, CancellationToken.None);

        var manifest = await store.ReadManifestAsync(result.Manifest, CancellationToken.None);
        var config = await store.ReadConfigAsync(manifest.Value.Config, CancellationToken.None);
        return (config.Value, progress.Events);
    }

    /// <summary>Builds <paramref name="dockerfile"/> with the request <paramref name="adjust"/> makes; what the build returned.</summary>
    public async Task<BuildResult> BuildAsync(string dockerfile, Func<BuildRequest, BuildRequest> adjust)
    {
        WriteFile("Dockerfile", dockerfile);
        var store = await OpenStoreAsync();
        using var registries = new RegistryClient(new RegistryOptions(), new NoCredentials());
        var builder = new ImageBuilder(store, new NoSnapshots(), new LayerCache(Path.Combine(_directory, "layers")), new NoExecutor(), registries, Emulators);
        var progress = _progress = new RecordedProgress();
        return await builder.BuildAsync(adjust(new BuildRequest { ContextDirectory = Context, RunChecks = false }), progress, CancellationToken.None);
    }

    private sealed class RecordedProgress : IBuildProgress
    {
        private readonly List<BuildEvent> _events = [];

        public IReadOnlyList<BuildEvent> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
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

    private sealed class NoCredentials : ICredentialProvider
    {
        public Task<RegistryCredential?> GetAsync(string registry, CancellationToken cancellationToken) => Task.FromResult<RegistryCredential?>(null);
    }

    private sealed class NoSnapshots : ISnapshotter
    {
        public Task<ISnapshot> PrepareAsync(IReadOnlyList<ILayer> parents, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("a build without RUN needs no snapshot");

        public Task<Oci.Layers.LayerDescriptor?> CommitDiffAsync(ISnapshot snapshot, IContentIngester store, Oci.Layers.LayerWriterOptions options, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("a build without RUN needs no snapshot");
    }

    private sealed class NoExecutor : IExecutor
    {
        public Task<int> RunAsync(ExecSpec spec, ISnapshot rootfs, ProcessIo io, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("a build without RUN runs nothing");
    }
}
