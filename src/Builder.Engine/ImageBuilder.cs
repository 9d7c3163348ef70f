using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Graph;
using Builder.Dockerfile.Shell;
using Builder.Dockerfile.Syntax;
using Builder.Engine.Context;
using Builder.Engine.Solver;
using Builder.Oci;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.References;
using Builder.Registry;
using Builder.Sandbox;
using Builder.Sandbox.Mounts;
using Builder.Sandbox.Snapshots;

namespace Builder.Engine;

/// <summary>
/// <c>builder build</c>: reads the Dockerfile, plans its stages (only those the target needs, independent ones in
/// parallel), builds them, and writes the target stage as an image into the store. Nothing is tagged unless the
/// whole build succeeds; blobs of a failed build are left for prune, never referenced.
/// </summary>
public sealed class ImageBuilder(OciLayoutStore store, ISnapshotter snapshotter, LayerCache layers, IExecutor executor, RegistryClient registries,
    BinfmtEmulators? emulators = null)
{
    public async Task<BuildResult> BuildAsync(BuildRequest request, IBuildProgress progress, CancellationToken cancellationToken)
    {
        var platforms = request.Platforms.Distinct().ToList();
        if (platforms.Count <= 1)
        {
            var one = await BuildPlatformAsync(request with { Platform = platforms.FirstOrDefault() ?? request.Platform, Platforms = [] }, progress, 0, "",
                cancellationToken).ConfigureAwait(false);
            WarnUnused(one.Result.UnusedBuildArgs, progress);
            return one.Result;
        }
        if (request.CacheTo.Count > 0)
        {
            throw new BuildException("--cache-to: a multi-platform build's cache cannot be exported yet; export it from one single-platform build per platform");
        }
        // Every platform is checked before any is built: a missing QEMU handler for the last must not cost the first's build.
        var source = await ReadDockerfileAsync(request, cancellationToken).ConfigureAwait(false);
        foreach (var platform in platforms)
        {
            Plan(source.Syntax, request with { Platform = platform }, source.FileName);
        }
        var started = DateTimeOffset.UtcNow;
        var images = new List<PlatformImage>();
        var vertex = 0;
        foreach (var platform in platforms)
        {
            var single = request with
            {
                Platform = platform,
                Platforms = [],
                RunChecks = request.RunChecks && images.Count == 0,
                NoCacheSince = request.NoCache ? started : null,
            };
            var (result, last) = await BuildPlatformAsync(single, progress, vertex, platform + " ", cancellationToken).ConfigureAwait(false);
            vertex = last;
            images.Add(new PlatformImage(platform, result));
        }
        var index = OciJson.ToBlob(ImageIndex.Oci([.. images.Select(i => i.Result.Manifest with { Platform = i.Platform })]));
        await store.WriteBlobAsync(index, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> unused = [.. images.Select(i => i.Result.UnusedBuildArgs).Aggregate((a, b) => [.. a.Intersect(b)])];
        WarnUnused(unused, progress);
        return new BuildResult(index.Descriptor, index.Descriptor.Digest, unused)
        {
            DockerfileDigest = images[0].Result.DockerfileDigest,
            CheckWarnings = images[0].Result.CheckWarnings,
            ResolvedImages = [.. images.SelectMany(i => i.Result.ResolvedImages).Distinct()],
            CacheHits = [.. images.SelectMany(i => i.Result.CacheHits)],
            Platforms = images,
        };
    }

    private async Task<(BuildResult Result, int LastVertex)> BuildPlatformAsync(BuildRequest request, IBuildProgress progress, int firstVertex, string displayPrefix,
        CancellationToken cancellationToken)
    {
        var (contextDirectory, dockerfilePath, fileName, dockerfileBytes, dockerfileText, syntax) =
            await ReadDockerfileAsync(request, cancellationToken).ConfigureAwait(false);
        var checks = RunChecks(request, dockerfileText, fileName, progress);
        var (graph, platformArgs) = Plan(syntax, request, fileName);

        var relativeDockerfile = Path.GetRelativePath(contextDirectory, dockerfilePath);
        using var remoteCache = new RemoteCache(store, registries, progress);
        var session = new BuildSession
        {
            Request = request,
            Store = store,
            Snapshotter = snapshotter,
            Layers = layers,
            Executor = executor,
            Registries = registries,
            Cache = new BuildCache(store.Layout.StepCache, store) { Lease = store.Lease },
            Importer = await remoteCache.OpenImportsAsync(request.CacheFrom, cancellationToken).ConfigureAwait(false),
            CacheMounts = new CacheMountStore(store.Layout.CacheMounts),
            Context = BuildContext.Open(contextDirectory, relativeDockerfile.StartsWith("..", StringComparison.Ordinal) ? null : relativeDockerfile,
                store.Layout.ContextStatCache),
            Progress = progress,
            FileName = fileName,
            Lexer = new ShellLexer(syntax.EscapeChar),
            ScratchDirectory = Directory.CreateDirectory(store.Layout.Scratch).FullName,
            FirstVertex = firstVertex,
            DisplayPrefix = displayPrefix,
        };

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        foreach (var wave in graph.Waves)
        {
            foreach (var index in wave)
            {
                var node = graph.Stages.Single(s => s.Stage.Index == index);
                session.Stages[index] = Task.Run(() => new StageBuilder(session, graph, node).BuildAsync(failed.Token), failed.Token);
            }
        }
        StageResult target;
        try
        {
            target = await session.Stages[graph.Target].ConfigureAwait(false);
            // A stage nothing awaited (unused by the target) still must not fail silently: all reachable ones are needed.
            await Task.WhenAll(session.Stages.Values).ConfigureAwait(false);
        }
        catch
        {
            await failed.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(session.Stages.Values.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
            throw;
        }
        finally
        {
            session.Context.SaveStatCache();
        }
        session.Importer?.WarnUnused();

        var manifest = await WriteImageAsync(target, request, cancellationToken).ConfigureAwait(false);
        await remoteCache.ExportAsync(request.CacheTo, target, [.. session.Stages.Values.Select(s => s.Result)], session.NextVertex, cancellationToken)
            .ConfigureAwait(false);
        var unused = request.BuildArgs.Keys.Where(k => !session.UsedBuildArgs.Contains(k) && !platformArgs.ContainsKey(k)
            && !graph.GlobalArgs.ContainsKey(k) && !StageVariablesProxy(k)
            && !k.StartsWith("BUILDKIT_", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList(); // the builder's own, as BuildKit's
        await session.CacheMountExchange.ExportAsync(session.CacheMounts, cancellationToken).ConfigureAwait(false);
        return (new BuildResult(manifest.Descriptor, manifest.Value.Config.Digest, unused)
        {
            DockerfileDigest = Digest.Of(dockerfileBytes),
            CheckWarnings = [.. checks.Findings.Select(Lint.BuildCheckReport.Describe)],
            ResolvedImages = [.. session.ResolvedImages.Values],
            CacheHits = [.. session.CacheHits],
        }, session.LastVertex);
    }

    // Once per build, by the caller of BuildPlatformAsync: a multi-platform build warns of what no platform consumed.
    private static void WarnUnused(IReadOnlyList<string> unused, IBuildProgress progress)
    {
        if (unused.Count > 0)
        {
            progress.Report(new BuildWarning(DateTimeOffset.UtcNow, $"[Warning] One or more build-args [{Dockerfile.Text.ShortList.Join(" ", unused)}] were not consumed"));
        }
    }

    private sealed record DockerfileSource(string ContextDirectory, string Path, string FileName, byte[] Bytes, string Text, DockerfileSyntax Syntax);

    private static async Task<DockerfileSource> ReadDockerfileAsync(BuildRequest request, CancellationToken cancellationToken)
    {
        var contextDirectory = Path.GetFullPath(request.ContextDirectory);
        var dockerfilePath = Path.GetFullPath(request.DockerfilePath ?? Path.Combine(contextDirectory, "Dockerfile"));
        if (Directory.Exists(dockerfilePath))
        {
            throw new BuildException($"failed to read dockerfile: read {dockerfilePath}: is a directory");
        }
        if (!File.Exists(dockerfilePath))
        {
            throw new BuildException($"failed to read dockerfile: open {dockerfilePath}: no such file or directory");
        }
        var fileName = Path.GetFileName(dockerfilePath);
        var bytes = await File.ReadAllBytesAsync(dockerfilePath, cancellationToken).ConfigureAwait(false);
        // Decoded as File.ReadAllText would (a byte-order mark is honoured and dropped); the digest is of the bytes.
        var text = new StreamReader(new MemoryStream(bytes), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true).ReadToEnd();
        var syntax = DockerfileParser.Parse(text, fileName);
        if (syntax.Errors.FirstOrDefault() is { } parseError)
        {
            throw new DockerfileException(fileName, parseError.Span, parseError.Message);
        }
        return new DockerfileSource(contextDirectory, dockerfilePath, fileName, bytes, text, syntax);
    }

    /// <summary>The stages to build for <paramref name="request"/>'s platform, checked: names parse, RUN steps can run here.</summary>
    private (StageGraph Graph, IReadOnlyDictionary<string, string> PlatformArgs) Plan(DockerfileSyntax syntax, BuildRequest request, string fileName)
    {
        var platformArgs = PlatformArgs(request.Platform);
        var graph = StageGraph.Build(Binder.Bind(syntax), new StageGraphOptions(request.BuildArgs, request.Target, platformArgs));
        CheckReferences(graph, fileName);
        CheckEmulation(graph, request.Platform, fileName, emulators ?? BinfmtEmulators.Host);
        return (graph, platformArgs);
    }

    /// <summary>
    /// Base images, --from images and FROM --platform, once expanded, must parse before anything is built: a typo
    /// is an error at its line, as BuildKit's "failed to parse stage name".
    /// </summary>
    /// <summary>
    /// A stage with RUN steps for a platform this machine cannot run natively needs QEMU (<see cref="BinfmtEmulators"/>):
    /// without it the build fails here, before any step, at the stage's first RUN — not half-way with "exec format error".
    /// A stage runs on its FROM's platform (a stage built on a stage, on that one's), else on the build's target.
    /// </summary>
    private static void CheckEmulation(StageGraph graph, Platform target, string fileName, BinfmtEmulators emulators)
    {
        // (An unparsable --platform is the FROM step's error to give, with its place.)
        Platform PlatformOf(StageNode node) => node.Platform is { } text ? Platform.Normalize(Platform.Parse(text))
            : node.Base is BaseStage { StageIndex: var index } && graph.Stages.FirstOrDefault(s => s.Stage.Index == index) is { } parent ? PlatformOf(parent)
            : target;

        foreach (var node in graph.Stages)
        {
            Platform platform;
            try
            {
                platform = PlatformOf(node);
            }
            catch (FormatException)
            {
                continue;
            }
            if (node.Stage.Instructions.OfType<RunInstruction>().FirstOrDefault() is { } run && emulators.Missing(platform) is { } reason)
            {
                throw new BuildException(fileName, run.Span.Start.Line, reason);
            }
        }
    }

    private static void CheckReferences(StageGraph graph, string fileName)
    {
        foreach (var node in graph.Stages)
        {
            var from = node.Stage.From.Syntax;
            if (node.Base is BaseImage { Reference: var image } && !ImageReference.TryParse(image, out _, out var error))
            {
                throw new DockerfileException(fileName, from.Arguments[0].Span, error);
            }
            try
            {
                _ = node.Platform is { } platform ? Platform.Parse(platform) : null;
            }
            catch (FormatException e)
            {
                throw new DockerfileException(fileName, from.Flags.LastOrDefault(f => f.Name == "platform")?.Span ?? from.Span, e.Message);
            }
            foreach (var source in node.Sources)
            {
                if (source.Image is { } other && !ImageReference.TryParse(other, out _, out var sourceError))
                {
                    throw new DockerfileException(fileName, source.Instruction.Span, sourceError);
                }
            }
        }
    }

    /// <summary>BuildKit's checks, before anything is built: each finding a warning, or all of them an error under check=error=true.</summary>
    private static Lint.BuildCheckReport RunChecks(BuildRequest request, string text, string fileName, IBuildProgress progress)
    {
        if (!request.RunChecks)
        {
            return new Lint.BuildCheckReport([], false);
        }
        var report = Lint.BuildChecks.Run(text, fileName, request.BuildArgs, null, request.Platform.ToString());
        foreach (var finding in report.Findings)
        {
            progress.Report(new BuildWarning(DateTimeOffset.UtcNow, Lint.BuildCheckReport.Describe(finding)));
        }
        if (report.Fatal && report.Findings is [var first, ..])
        {
            var at = new TextPosition(first.Line, first.Column);
            throw new DockerfileException(fileName, new TextSpan(at, at),
                $"lint violation found for rules: {string.Join(", ", report.Findings.Select(f => f.RuleId).Distinct())}");
        }
        return report;
    }

    private static bool StageVariablesProxy(string name) => Semantics.StageVariables.ProxyArgs.Contains(name);

    private async Task<Blob<ImageManifest>> WriteImageAsync(StageResult target, BuildRequest request, CancellationToken cancellationToken)
    {
        var history = HistoryTimes.Fill(target.Config.History ?? []);
        // BuildKit's exporter: the image was created when its last history entry was, so a rebuild that changed
        // nothing gives the same config, hence the same image ID.
        Timestamp? created = request.SourceDateEpoch is { } epoch ? epoch : history.LastOrDefault(h => h.Created is not null)?.Created;
        var config = target.Config.Config ?? new ContainerConfig();
        if (request.Labels.Count > 0)
        {
            var labels = new Dictionary<string, string>(config.Labels ?? new Dictionary<string, string>());
            foreach (var (key, value) in request.Labels)
            {
                labels[key] = value;
            }
            config = config with { Labels = labels };
        }
        var image = target.Config with
        {
            Created = created,
            History = history,
            Config = config,
            Architecture = request.Platform.Architecture,
            Os = request.Platform.Os,
            Variant = request.Platform.Variant,
            RootFs = RootFs.Layers([.. target.Layers.Select(l => l.DiffId)]),
        };
        return await ImageWriter.WriteAsync(store, image, [.. target.Layers.Select(l => l.Descriptor)], null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>BuildKit's predefined platform ARGs (this builder builds for the platform it runs on, or --platform's).</summary>
    public static IReadOnlyDictionary<string, string> PlatformArgs(Platform target)
    {
        var build = Platform.Host;
        return new Dictionary<string, string>
        {
            ["TARGETPLATFORM"] = target.ToString(),
            ["TARGETOS"] = target.Os,
            ["TARGETARCH"] = target.Architecture,
            ["TARGETVARIANT"] = target.Variant ?? "",
            ["BUILDPLATFORM"] = build.ToString(),
            ["BUILDOS"] = build.Os,
            ["BUILDARCH"] = build.Architecture,
            ["BUILDVARIANT"] = build.Variant ?? "",
        };
    }
}
