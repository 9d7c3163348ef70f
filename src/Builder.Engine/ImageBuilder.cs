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
        var dockerfileBytes = await File.ReadAllBytesAsync(dockerfilePath, cancellationToken).ConfigureAwait(false);
        // Decoded as File.ReadAllText would (a byte-order mark is honoured and dropped); the digest is of the bytes.
        var dockerfileText = new StreamReader(new MemoryStream(dockerfileBytes), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true).ReadToEnd();
        var syntax = DockerfileParser.Parse(dockerfileText, fileName);
        if (syntax.Errors.FirstOrDefault() is { } parseError)
        {
            throw new DockerfileException(fileName, parseError.Span, parseError.Message);
        }
        var checks = RunChecks(request, dockerfileText, fileName, progress);
        var bound = Binder.Bind(syntax);
        var platformArgs = PlatformArgs(request.Platform);
        var graph = StageGraph.Build(bound, new StageGraphOptions(request.BuildArgs, request.Target, platformArgs));
        CheckReferences(graph, fileName);
        CheckEmulation(graph, request.Platform, fileName, emulators ?? BinfmtEmulators.Host);

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
        if (unused.Count > 0)
        {
            progress.Report(new BuildWarning(DateTimeOffset.UtcNow, $"[Warning] One or more build-args [{Dockerfile.Text.ShortList.Join(" ", unused)}] were not consumed"));
        }
        await session.CacheMountExchange.ExportAsync(session.CacheMounts, cancellationToken).ConfigureAwait(false);
        return new BuildResult(manifest.Descriptor, manifest.Value.Config.Digest, unused)
        {
            DockerfileDigest = Digest.Of(dockerfileBytes),
            CheckWarnings = [.. checks.Findings.Select(Lint.BuildCheckReport.Describe)],
            ResolvedImages = [.. session.ResolvedImages.Values],
            CacheHits = [.. session.CacheHits],
        };
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
