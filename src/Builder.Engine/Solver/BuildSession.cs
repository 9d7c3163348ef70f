using Builder.Dockerfile.Shell;
using Builder.Engine.Context;
using Builder.Oci;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.Layers;
using Builder.Oci.References;
using Builder.Registry;
using Builder.Sandbox;
using Builder.Sandbox.Mounts;
using Builder.Sandbox.Snapshots;

namespace Builder.Engine.Solver;

/// <summary>What every stage of one build shares: the store, the sandbox, the cache, the context and the progress sink.</summary>
internal sealed class BuildSession
{
    private int _vertex;

    public required BuildRequest Request { get; init; }

    public required OciLayoutStore Store { get; init; }

    public required ISnapshotter Snapshotter { get; init; }

    public required LayerCache Layers { get; init; }

    public required IExecutor Executor { get; init; }

    public required RegistryClient Registries { get; init; }

    public required BuildCache Cache { get; init; }

    public required CacheMountStore CacheMounts { get; init; }

    public required BuildContext Context { get; init; }

    public required IBuildProgress Progress { get; init; }

    public required string FileName { get; init; }

    public required ShellLexer Lexer { get; init; }

    public required string ScratchDirectory { get; init; }

    public HashSet<string> UsedBuildArgs { get; } = new(StringComparer.Ordinal);

    /// <summary>Each needed stage's build, by index; stages read it while later ones are still being added.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<int, Task<StageResult>> Stages { get; } = new();

    /// <summary>Every image reference resolved (by name and platform), for the build's provenance.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<(string Reference, string Platform), ResolvedImage> ResolvedImages { get; } = new();

    public LayerWriterOptions LayerOptions => new() { SourceDateEpoch = Request.SourceDateEpoch };

    public int NextVertex() => Interlocked.Increment(ref _vertex);

    /// <summary>A base image or COPY --from image: the store's copy unless --pull, else pulled.</summary>
    public async Task<StoredImage> ResolveImageAsync(string text, string? platformText, int vertex, CancellationToken cancellationToken)
    {
        if (!ImageReference.TryParse(text, out var reference, out var error))
        {
            throw new BuildException(error);
        }
        var platform = platformText is null ? Request.Platform : Platform.Parse(platformText);
        if (!Request.Pull && await Store.GetAsync(reference, cancellationToken).ConfigureAwait(false) is { } local)
        {
            ResolvedImages[(reference.ToString(), platform.ToString())] = new ResolvedImage(reference, local.Digest, platform);
            return await StoredImage.LoadAsync(Store, local, platform, cancellationToken).ConfigureAwait(false);
        }
        var progress = new TransferProgress(e => Progress.Report(new VertexLog(vertex, DateTimeOffset.UtcNow, $"{e.Digest.Hex[..12]}: {e.Status}", false)));
        var pulled = await new ImagePuller(Registries, Store).PullAsync(reference, platform, progress, cancellationToken).ConfigureAwait(false);
        ResolvedImages[(reference.ToString(), platform.ToString())] = new ResolvedImage(reference, pulled.RepositoryDigest, platform);
        return await StoredImage.LoadAsync(Store, pulled.Manifest, platform, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The merged file system of a layer stack, each layer extracted once.</summary>
    public async Task<Semantics.MergedView> ViewAsync(IReadOnlyList<ILayer> layers, CancellationToken cancellationToken)
    {
        var directories = new List<string>();
        foreach (var layer in layers)
        {
            directories.Add(await Layers.EnsureAsync(layer, cancellationToken).ConfigureAwait(false));
        }
        directories.Reverse();
        return new Semantics.MergedView(directories);
    }

    public Task<LayerDescriptor> WriteLayerAsync(IReadOnlyList<LayerChange> changes, CancellationToken cancellationToken) =>
        LayerWriter.WriteToStoreAsync(Store, changes, LayerOptions, cancellationToken);

    private sealed class TransferProgress(Action<TransferEvent> report) : IProgress<TransferEvent>
    {
        public void Report(TransferEvent value) => report(value);
    }
}

/// <summary>A built stage: its image config, its layers (base first) and the cache key of its last step.</summary>
internal sealed record StageResult(ImageConfig Config, IReadOnlyList<ILayer> Layers, Digest CacheKey);
