using Builder.Engine;
using Builder.Oci.Content;
using Builder.Registry;
using Builder.Registry.Credentials;
using Builder.Sandbox.Runtime;

namespace Builder.MSBuild;

/// <summary>
/// The tasks' view of the engine: the same composition root as the CLI's (<see cref="EngineHost"/>, over $BUILDER_ROOT,
/// so `builder run` sees what MSBuild built) and a registry client configured from the environment.
/// </summary>
internal sealed class ImageBuildHost : IDisposable
{
    private ImageBuildHost(EngineHost engine, RegistryClient registries)
    {
        Engine = engine;
        Registries = registries;
    }

    public EngineHost Engine { get; }

    public OciLayoutStore Store => Engine.Store;

    public RegistryClient Registries { get; }

    public static async Task<ImageBuildHost> OpenAsync(CancellationToken cancellationToken) =>
        new(await EngineHost.OpenAsync(cancellationToken).ConfigureAwait(false),
            new RegistryClient(RegistryOptions.FromEnvironment(Environment.GetEnvironmentVariable), new DockerCredentialProvider()));

    /// <summary>An image builder; build steps run in the sandbox, which needs root or a user namespace.</summary>
    public Task<ImageBuilder> CreateBuilderAsync(CancellationToken cancellationToken)
    {
        if (!RootlessReexec.IsNamespaceRoot)
        {
            throw new InvalidOperationException(
                "BuildImage runs build steps in the sandbox, which needs root (or a user namespace): run the build as root, or under `unshare --user --map-root-user --map-auto --mount`");
        }
        return Engine.CreateBuilderAsync(Registries, _ => { }, cancellationToken);
    }

    public void Dispose()
    {
        Registries.Dispose();
        Engine.Dispose();
    }
}
