using System.CommandLine;
using System.Text.Json;
using Builder.Cache;
using Builder.Cli.Rendering;
using Builder.Engine;
using Builder.Engine.Outputs;
using Builder.Oci.Archives;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.Layers;
using Builder.Oci.References;
using Builder.Registry;
using Builder.Sandbox;
using Builder.Signing;
using Builder.Signing.Cms;
using Builder.Signing.Provenance;
using Builder.Signing.Referrers;

namespace Builder.Cli.Commands;

/// <summary><c>builder build</c>: a Dockerfile and a context to an image, docker build's flags.</summary>
internal static class BuildCommand
{
    public static Command Create(CliIo io)
    {
        var context = new Argument<string>("CONTEXT") { Description = "The build context directory" };
        var file = new Option<string?>("--file", "-f") { Description = "The Dockerfile (default: CONTEXT/Dockerfile)" };
        var tags = new Option<string[]>("--tag", "-t") { Description = "Name the image (repeatable)" };
        var buildArgs = new Option<string[]>("--build-arg") { Description = "Set a build argument (K=V, repeatable)" };
        var target = new Option<string?>("--target") { Description = "Build this stage" };
        var noCache = new Option<bool>("--no-cache") { Description = "Do not use the build cache" };
        var pull = new Option<bool>("--pull") { Description = "Always pull base images" };
        var network = new Option<string>("--network") { Description = "host (default), none", DefaultValueFactory = _ => "host" };
        var secrets = new Option<string[]>("--secret") { Description = "id=ID,src=PATH or id=ID,env=VAR (repeatable)" };
        var platform = new Option<string?>("--platform") { Description = "The target platform, or several (linux/amd64,linux/arm64: one image index); default: this machine's" };
        var outputs = new Option<string[]>("--output", "-o") { Description = "type=image|oci|docker|local|registry,dest=PATH[,tar=false][,name=REF][,push=true]" };
        var push = new Option<bool>("--push") { Description = "Push the named image to its registry" };
        var progressMode = new Option<string>("--progress") { Description = "auto, tty, plain, json or quiet", DefaultValueFactory = _ => "auto" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the image ID" };
        var iidFile = new Option<string?>("--iidfile") { Description = "Write the image ID to this file" };
        var metadataFile = new Option<string?>("--metadata-file") { Description = "Write build metadata (JSON) to this file" };
        var labels = new Option<string[]>("--label") { Description = "Add a label to the image (K=V, repeatable)" };
        var insecure = new Option<string[]>("--insecure-registry") { Description = "A registry to reach without TLS verification (repeatable)" };
        var check = new Option<bool>("--check") { Description = "Lint the Dockerfile first; error-level findings stop the build" };
        var sign = new Option<bool>("--sign") { Description = "Sign the image (with --key and --cert, or --pfx); --push carries the signature along" };
        var keys = new SigningKeyOptions();
        var sbom = new Option<bool>("--sbom") { Description = "Attach an SPDX 2.3 SBOM of the image's packages (dpkg, apk, Python) as a referrer" };
        var provenance = new Option<bool>("--provenance") { Description = "Attach an in-toto SLSA v1 provenance statement as a referrer" };
        var cacheFrom = new Option<string[]>("--cache-from") { Description = "Import build cache: type=registry,ref=REF or type=local,src=DIR, or a bare REF (repeatable, first hit wins)" };
        var buildContexts = new Option<string[]>("--build-context") { Description = "NAME=DIR, NAME=docker-image://REF or NAME=oci-layout://DIR[:TAG|@DIGEST]: what FROM NAME and COPY --from=NAME read (repeatable)" };
        var traceFile = new Option<string?>("--trace") { Description = "Write where the build's time went as a Chrome trace-event file (Perfetto, chrome://tracing)" };
        var cacheTo = new Option<string[]>("--cache-to") { Description = "Export build cache: type=registry,ref=REF[,mode=min|max] or type=local,dest=DIR (repeatable)" };
        var command = new Command("build", "Build an image from a Dockerfile")
        {
            context, file, tags, buildArgs, target, noCache, pull, network, secrets, platform, outputs, push, progressMode, quiet, iidFile,
            metadataFile, labels, insecure, check, sign, sbom, provenance, cacheFrom, cacheTo, traceFile, buildContexts,
        };
        foreach (var option in keys.All)
        {
            command.Options.Add(option);
        }
        command.SetAction(async (result, cancellationToken) =>
        {
            var commandStart = DateTimeOffset.UtcNow;
            var trace = result.GetValue(traceFile) is null ? null : new BuildTrace();
            try
            {
                return await BuildAsync(result, trace, cancellationToken);
            }
            finally
            {
                if (result.GetValue(traceFile) is { } path)
                {
                    // Written whether the build succeeded or not: a failed build's timeline is as useful.
                    var processStart = new DateTimeOffset(System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime(), TimeSpan.Zero);
                    await CliFiles.WriteAsync("--trace", path, () => trace!.WriteAsync(path, processStart, commandStart, DateTimeOffset.UtcNow, CancellationToken.None));
                }
            }
        });
        return command;

        async Task<int> BuildAsync(ParseResult result, BuildTrace? trace, CancellationToken cancellationToken)
        {
            var names = (result.GetValue(tags) ?? []).Select(ImageCommands.ParseReference).ToList();
            var args = KeyValueArguments.Parse(result.GetValue(buildArgs), "--build-arg");
            var platforms = ImageCommands.ParsePlatforms(result.GetValue(platform));
            var request = new BuildRequest
            {
                ContextDirectory = result.GetValue(context)!,
                DockerfilePath = result.GetValue(file) is { Length: > 0 } dockerfile ? dockerfile : null, // -f "" is the default, as docker's
                Tags = names,
                BuildArgs = args,
                Target = result.GetValue(target),
                NoCache = result.GetValue(noCache),
                Pull = result.GetValue(pull),
                Network = result.GetValue(network) switch
                {
                    "host" or "default" => SandboxNetwork.Host,
                    "none" => SandboxNetwork.None,
                    var other => throw new UsageException($"--network: '{other}' is not host or none"),
                },
                Secrets = ParseSecrets(result.GetValue(secrets) ?? []),
                Platform = platforms is [var only] ? only : Oci.Platform.Host,
                Platforms = platforms.Count > 1 ? platforms : [],
                Labels = KeyValueArguments.Parse(result.GetValue(labels), "--label"),
                Outputs = ParseOutputs(result.GetValue(outputs) ?? []),
                SourceDateEpoch = ParseSourceDateEpoch(args.GetValueOrDefault("SOURCE_DATE_EPOCH") ?? Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH")),
                CacheFrom = ParseCaches(result.GetValue(cacheFrom) ?? [], CacheSpecParser.ParseFrom),
                CacheTo = ParseCaches(result.GetValue(cacheTo) ?? [], CacheSpecParser.ParseTo),
                NamedContexts = ParseNamedContexts(result.GetValue(buildContexts) ?? []),
            };
            if (!Directory.Exists(request.ContextDirectory))
            {
                throw new UsageException($"unable to prepare context: path \"{request.ContextDirectory}\" not found");
            }
            if (keys.AnyGiven(result) && !result.GetValue(sign))
            {
                throw new UsageException("--key, --pfx, --cert, --password-env and --timestamp-url choose how --sign signs: add --sign");
            }
            // The key before the build: a wrong password should not cost a build.
            using var identity = result.GetValue(sign) ? keys.Load(result) : null;
            using var http = SigningKeyOptions.TimestampClient();
            var timestamps = result.GetValue(sign) ? keys.Timestamps(result, http) : null;
            var started = DateTimeOffset.UtcNow;
            var rendered = BuildProgressRenderers.Create(result.GetValue(quiet) ? "quiet" : result.GetValue(progressMode)!, io.Error);
            Engine.Solver.IBuildProgress progress = trace is null ? rendered : new TeeProgress(rendered, trace);
            if (result.GetValue(check) && !await CheckAsync(request, progress, io, cancellationToken))
            {
                return ExitCodes.Failure;
            }
            using var images = await LocalImages.OpenAsync(cancellationToken);
            using var registries = RegistryAccess.CreateClient(result.GetValue(insecure));
            var builder = await images.Host.CreateBuilderAsync(registries, message => io.Error.WriteLine(message), cancellationToken);
            var built = await builder.BuildAsync(request, progress, cancellationToken);
            var stepsDone = DateTimeOffset.UtcNow;
            if (built.CheckWarnings.Count > 0 && !result.GetValue(quiet) && result.GetValue(progressMode) != "quiet")
            {
                // After the build, as docker build prints them: the checks warned, they did not fail it.
                io.Error.WriteLine($"{built.CheckWarnings.Count} warning{(built.CheckWarnings.Count == 1 ? "" : "s")} found:");
                foreach (var warning in built.CheckWarnings)
                {
                    io.Error.WriteLine($" - {warning}");
                }
            }

            // How layers leave the store for pushes: as the output that says so asks (BuildKit's compression=...), else gzip.
            var compression = new ImageCompression(images.Store, request.Outputs.Select(o => o.Compression).FirstOrDefault(c => c is not null));
            var attestations = new Attestations(result.GetValue(sbom), result.GetValue(provenance), identity, timestamps, started);
            if (attestations.Any)
            {
                // Signatures and attestations name a manifest digest: give them (and the tags) the compressed
                // manifest a push sends, so they still hold in the registry.
                built = built with { Manifest = await compression.CompressAsync(built.Manifest, cancellationToken) };
            }
            var pushNames = (await BuildOutputWriter.WriteAsync(images.Store, built.Manifest, request.Outputs, names, cancellationToken)).ToList();
            await AttestAsync(images, built, request, names, attestations, io, cancellationToken);
            trace?.Span("image, outputs and attestations", stepsDone, DateTimeOffset.UtcNow);
            if (result.GetValue(push))
            {
                pushNames.AddRange(names);
            }
            if (pushNames.Count > 0)
            {
                // What was pushed is the compressed manifest: its digest is the one the registry (and --metadata-file) names.
                built = built with { Manifest = await compression.CompressAsync(built.Manifest, cancellationToken) };
            }
            foreach (var name in pushNames.Distinct())
            {
                var pushStart = DateTimeOffset.UtcNow;
                var mounts = await MountSources.FindAsync(images.Store, images.Store, name, cancellationToken);
                var pushed = await new ImagePusher(registries, images.Store).PushAsync(built.Manifest, name, mounts, null, cancellationToken);
                io.Error.WriteLine($"pushed {name} {pushed.Manifest.Digest}");
                foreach (var referrer in await ReferrerPush.PushAsync(registries, images.Store, pushed.Manifest, name, null, cancellationToken))
                {
                    io.Error.WriteLine($"pushed {referrer.ArtifactType} {referrer.Digest}");
                }
                trace?.Span($"push {name}", pushStart, DateTimeOffset.UtcNow);
            }
            if (result.GetValue(iidFile) is { } iid)
            {
                await CliFiles.WriteAsync("--iidfile", iid, () => File.WriteAllTextAsync(iid, built.ImageId.ToString(), cancellationToken));
            }
            if (result.GetValue(metadataFile) is { } metadata)
            {
                await CliFiles.WriteAsync("--metadata-file", metadata, () => File.WriteAllTextAsync(metadata, Metadata(built, names), cancellationToken));
            }
            io.Out.WriteLine(built.ImageId);
            return ExitCodes.Ok;
        }
    }

    /// <summary>What to attach to the built image: --sbom, --provenance, --sign (its key and timestamp authority).</summary>
    private sealed record Attestations(bool Sbom, bool Provenance, SigningIdentity? Identity, TimestampAuthority? Timestamps, DateTimeOffset Started)
    {
        public bool Any => Sbom || Provenance || Identity is not null;
    }

    /// <summary>
    /// Attaches the SBOM, the provenance and the signature to the built image in the local store, as referrers a
    /// push carries along; for a multi-platform build, to each platform's image (never to the index). The signature
    /// comes last and covers the image manifest's bytes.
    /// </summary>
    private static async Task AttestAsync(
        LocalImages images, BuildResult built, BuildRequest request, IReadOnlyList<ImageReference> names, Attestations attestations, CliIo io,
        CancellationToken cancellationToken)
    {
        if (!attestations.Any)
        {
            return;
        }
        if (built.Platforms.Count == 0)
        {
            await AttestImageAsync(images, built, request, names, attestations, io, cancellationToken);
            return;
        }
        // The index (compressed by now) lists the platforms' manifests in the order they were built.
        var index = await images.Store.ReadIndexAsync(built.Manifest, cancellationToken);
        foreach (var (manifest, image) in index.Value.Manifests.Zip(built.Platforms))
        {
            await AttestImageAsync(images, image.Result with { Manifest = manifest }, request with { Platform = image.Platform, Platforms = [] }, names,
                attestations, io, cancellationToken);
        }
    }

    private static async Task AttestImageAsync(
        LocalImages images, BuildResult built, BuildRequest request, IReadOnlyList<ImageReference> names, Attestations attestations, CliIo io,
        CancellationToken cancellationToken)
    {
        var store = new LayoutReferrerStore(images.Store);
        var created = request.SourceDateEpoch ?? DateTimeOffset.UtcNow;
        var name = names.FirstOrDefault()?.ToString() ?? built.Manifest.Digest.ToString();
        if (attestations.Sbom)
        {
            var image = await StoredImage.LoadAsync(images.Store, built.Manifest, null, cancellationToken);
            var (artifact, packages) = await ImageAttestations.AttachSbomAsync(store, image, name, created, BuilderVersion.Current, cancellationToken);
            io.Error.WriteLine($"attached SBOM {artifact.Descriptor.Digest} ({packages} packages) to {built.Manifest.Digest}");
        }
        if (attestations.Provenance)
        {
            var artifact = await ImageAttestations.AttachProvenanceAsync(
                store, built.Manifest, Provenance(built, request, names, attestations.Started), created, cancellationToken);
            io.Error.WriteLine($"attached provenance {artifact.Descriptor.Digest} to {built.Manifest.Digest}");
        }
        if (attestations.Identity is { } identity)
        {
            var subject = new SubjectManifest(built.Manifest, await images.Store.ReadBlobAsync(built.Manifest, cancellationToken));
            var artifact = await ImageSignatures.SignAsync(store, subject, identity, attestations.Timestamps, cancellationToken);
            io.Error.WriteLine($"signed {built.Manifest.Digest} as {identity.Certificate.Subject}: signature {artifact.Descriptor.Digest}");
        }
    }

    private static BuildProvenance Provenance(BuildResult built, BuildRequest request, IReadOnlyList<ImageReference> names, DateTimeOffset started)
    {
        var context = Path.GetFullPath(request.ContextDirectory);
        var dockerfile = Path.GetFullPath(request.DockerfilePath ?? Path.Combine(context, "Dockerfile"));
        var relative = Path.GetRelativePath(context, dockerfile);
        return new BuildProvenance
        {
            Subjects = names.Count > 0
                ? [.. names.Select(n => new ImageSubject(n.ToString(), built.Manifest.Digest))]
                : [new ImageSubject(built.Manifest.Digest.ToString(), built.Manifest.Digest)],
            DockerfilePath = relative.StartsWith("..", StringComparison.Ordinal) ? Path.GetFileName(dockerfile) : relative,
            DockerfileDigest = built.DockerfileDigest ?? throw new InvalidOperationException("the build did not record its Dockerfile's digest"),
            BuildArgs = request.BuildArgs,
            Target = request.Target,
            Platform = request.Platform.ToString(),
            Materials = [.. built.ResolvedImages.Select(i => BuildMaterial.ForImage(i.Reference, i.Digest, i.Platform))],
            BuilderVersion = BuilderVersion.Current,
            StartedOn = started,
            FinishedOn = DateTimeOffset.UtcNow,
        };
    }

    /// <summary>--check: the Dockerfile's lint findings as build warnings; false when one is an error.</summary>
    private static async Task<bool> CheckAsync(BuildRequest request, Engine.Solver.IBuildProgress progress, CliIo io, CancellationToken cancellationToken)
    {
        var path = request.DockerfilePath ?? Path.Combine(request.ContextDirectory, "Dockerfile");
        var configPath = Lint.LintConfig.Find(request.ContextDirectory, Environment.GetEnvironmentVariable);
        var config = configPath is null ? Lint.LintConfig.Default : LintCommand.ReadConfig(configPath);
        var findings = Lint.DockerfileLinter.Lint(CliFiles.ReadText(path), Path.GetFileName(path), config);
        foreach (var finding in findings)
        {
            progress.Report(new Engine.Solver.BuildWarning(DateTimeOffset.UtcNow,
                $"{finding.RuleId}: {finding.Message} ({Path.GetFileName(path)}:{finding.Line})"));
        }
        var errors = findings.Where(f => f.Severity == Lint.Severity.Error).ToList();
        if (errors.Count > 0)
        {
            io.Error.WriteLine($"error: {Path.GetFileName(path)}:{errors[0].Line}:{errors[0].Column}: {errors[0].RuleId}: {errors[0].Message} ({errors.Count} lint error(s); see above)");
        }
        return errors.Count == 0;
    }

    /// <summary>buildx's --secret: <c>id=ID[,src=PATH|,env=VAR][,type=file|env]</c>, each field key=value.</summary>
    private static IReadOnlyDictionary<string, BuildSecret> ParseSecrets(IEnumerable<string> values)
    {
        var secrets = new Dictionary<string, BuildSecret>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            string? id = null, src = null, env = null, type = null;
            foreach (var field in value.Split(','))
            {
                var equals = field.IndexOf('=');
                if (equals < 0)
                {
                    throw new UsageException($"--secret {value}: invalid field '{field}' must be a key=value pair");
                }
                var fieldValue = field[(equals + 1)..];
                switch (field[..equals].ToLowerInvariant())
                {
                    case "id":
                        id = fieldValue;
                        break;
                    case "src" or "source":
                        src = fieldValue;
                        break;
                    case "env":
                        env = fieldValue;
                        break;
                    case "type" when fieldValue is "file" or "env":
                        type = fieldValue;
                        break;
                    case "type":
                        throw new UsageException($"--secret {value}: unsupported secret type '{fieldValue}'");
                    default:
                        throw new UsageException($"--secret {value}: unexpected key '{field[..equals]}' in '{field}'");
                }
            }
            if (string.IsNullOrEmpty(id))
            {
                throw new UsageException($"--secret {value}: id= is required");
            }
            if (type == "env" && env is null)
            {
                (env, src) = (src, null);
            }
            if (src is null && env is null)
            {
                // docker's shorthand: --secret id=NAME reads the variable NAME.
                env = id;
            }
            if (src is not null && !File.Exists(src))
            {
                throw new UsageException($"--secret {id}: {src}: no such file");
            }
            secrets[id] = new BuildSecret(id, src, src is null ? env : null);
        }
        return secrets;
    }

    private static IReadOnlyDictionary<string, NamedContext> ParseNamedContexts(IEnumerable<string> values)
    {
        var contexts = new Dictionary<string, NamedContext>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            NamedContext named;
            try
            {
                named = NamedContext.Parse(value);
            }
            catch (FormatException e)
            {
                throw new UsageException(e.Message);
            }
            // Paths are the caller's, relative to where builder runs.
            named = named.Kind == NamedContextKind.Image ? named : named with { Value = Path.GetFullPath(named.Value) };
            if (!contexts.TryAdd(named.Name, named))
            {
                throw new UsageException($"--build-context {named.Name} is given twice");
            }
        }
        return contexts;
    }

    private static IReadOnlyList<BuildOutput> ParseOutputs(IEnumerable<string> values)
    {
        try
        {
            return [.. values.Select(BuildOutput.Parse)];
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static IReadOnlyList<CacheSpec> ParseCaches(IEnumerable<string> values, Func<string, CacheSpec> parse)
    {
        try
        {
            return [.. values.Select(parse)];
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }
    }

    // From --build-arg or the environment: a value that is no time is the user's to fix.
    internal static DateTimeOffset? ParseSourceDateEpoch(string? text)
    {
        try
        {
            return LayerWriterOptions.ParseSourceDateEpoch(text);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static string Metadata(BuildResult built, IReadOnlyList<ImageReference> names)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("containerimage.digest", built.Manifest.Digest.ToString());
            json.WriteString("containerimage.config.digest", built.ImageId.ToString());
            json.WriteString("containerimage.descriptor.mediaType", built.Manifest.MediaType);
            json.WriteNumber("containerimage.descriptor.size", built.Manifest.Size);
            json.WriteString("image.name", string.Join(',', names.Select(n => n.ToString())));
            // The steps an imported cache (--cache-from) gave; local cache hits are not listed.
            json.WriteStartArray("builder.cache-hits");
            foreach (var hit in built.CacheHits)
            {
                json.WriteStartObject();
                json.WriteString("step", hit.Step);
                json.WriteString("key", hit.Key.ToString());
                json.WriteString("source", hit.Source);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
