using Builder.Cache;
using Builder.Dockerfile.Binding;
using Builder.Engine;
using Builder.Engine.Outputs;
using Builder.Engine.Solver;
using Builder.Oci;
using Builder.Oci.Content;
using Builder.Oci.References;
using Builder.Oci.Images;
using Builder.Signing;
using Builder.Signing.Cms;
using Builder.Signing.Referrers;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Builder.MSBuild;

/// <summary>
/// Builds the project's Dockerfile with the engine in-process and tags the image in the local store. Steps are logged
/// as messages (CACHED ones too); a failed RUN or a bad Dockerfile is an error at its Dockerfile line.
/// </summary>
public sealed partial class BuildImage : AsyncTask
{
    [Required]
    public string Dockerfile { get; set; } = "";

    [Required]
    public string ContextDirectory { get; set; } = "";

    /// <summary>The image's repository (with its registry when pushing): <c>127.0.0.1:5000/app</c>, <c>app</c>.</summary>
    [Required]
    public string Repository { get; set; } = "";

    /// <summary>Semicolon-separated tags.</summary>
    public string Tags { get; set; } = "latest";

    /// <summary>Items: the build argument's name, with a <c>Value</c> metadata.</summary>
    public ITaskItem[] BuildArgs { get; set; } = [];

    public string? Target { get; set; }

    /// <summary>
    /// Semicolon-separated target platforms (<c>linux/amd64;linux/arm64</c>): with more than one, one image index of
    /// them all, as <c>--platform a,b</c>. Empty: this machine's.
    /// </summary>
    public string? Platforms { get; set; }

    /// <summary>An extra <c>--output</c> (type=oci,dest=…); the store always gets the image.</summary>
    public string? Output { get; set; }

    /// <summary>Sign the image in the store (PushImage carries the signature along); needs SignKey and SignCert, or SignPfx.</summary>
    public bool Sign { get; set; }

    /// <summary>The signer's PEM private key.</summary>
    public string? SignKey { get; set; }

    /// <summary>A PKCS#12 file with the signer's key and certificate.</summary>
    public string? SignPfx { get; set; }

    /// <summary>The environment variable that holds the key's or PFX's password (never the password itself).</summary>
    public string? SignPasswordEnv { get; set; }

    /// <summary>PEM certificates: the signer's and its intermediates.</summary>
    public string? SignCert { get; set; }

    /// <summary>An RFC 3161 timestamp authority URL.</summary>
    public string? SignTimestampUrl { get; set; }

    /// <summary>Semicolon-separated <c>--cache-from</c> values: <c>type=registry,ref=REF</c>, <c>type=local,src=DIR</c> or a bare REF.</summary>
    public string? CacheFrom { get; set; }

    /// <summary>Semicolon-separated <c>--cache-to</c> values: <c>type=registry,ref=REF[,mode=max]</c> or <c>type=local,dest=DIR</c>.</summary>
    public string? CacheTo { get; set; }

    /// <summary>Run BuildKit's build checks as warnings (off when the LintDockerfile target already linted the Dockerfile).</summary>
    public bool RunChecks { get; set; } = true;

    /// <summary>The images built: ItemSpec is the full name; metadata Digest, MediaType, Size and ImageId.</summary>
    [Output]
    public ITaskItem[] Images { get; set; } = [];

    protected override async Task<bool> ExecuteAsync(CancellationToken cancellationToken)
    {
        var names = Tags.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(tag => ImageReference.TryParse($"{Repository}:{tag}", out var reference, out var error) ? reference : throw new FormatException(error))
            .ToList();
        IReadOnlyList<CacheSpec> cacheFrom, cacheTo;
        List<Platform> platforms;
        try
        {
            cacheFrom = ParseCaches(CacheFrom, CacheSpecParser.ParseFrom);
            cacheTo = ParseCaches(CacheTo, CacheSpecParser.ParseTo);
            platforms = [.. (Platforms ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Platform.Parse).Distinct()];
        }
        catch (FormatException e)
        {
            Log.LogError(e.Message);
            return false;
        }
        var request = new BuildRequest
        {
            ContextDirectory = ContextDirectory,
            DockerfilePath = Dockerfile,
            Tags = names,
            BuildArgs = BuildArgs.ToDictionary(a => a.ItemSpec, a => a.GetMetadata("Value")),
            Target = string.IsNullOrEmpty(Target) ? null : Target,
            Outputs = string.IsNullOrEmpty(Output) ? [] : [BuildOutput.Parse(Output)],
            SourceDateEpoch = Oci.Layers.LayerWriterOptions.SourceDateEpochFromEnvironment(),
            RunChecks = RunChecks,
            CacheFrom = cacheFrom,
            CacheTo = cacheTo,
            Platform = platforms is [var only] ? only : Platform.Host,
            Platforms = platforms.Count > 1 ? platforms : [],
        };
        // The key before the build: a wrong password should not cost a build.
        using var signer = Sign ? LoadSigner() : null;
        if (Log.HasLoggedErrors)
        {
            return false;
        }
        using var host = await ImageBuildHost.OpenAsync(cancellationToken).ConfigureAwait(false);
        var progress = new MSBuildProgress(Log);
        BuildResult built;
        try
        {
            var builder = await host.CreateBuilderAsync(cancellationToken).ConfigureAwait(false);
            built = await builder.BuildAsync(request, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerfileException e)
        {
            Log.LogError(null, "BUILDER", null, Dockerfile, e.Span?.Start.Line ?? 0, e.Span?.Start.Column ?? 0, 0, 0, e.Reason);
            return false;
        }
        catch (BuildException e)
        {
            // A failed step is an error at its Dockerfile line; a bad .dockerignore pattern, at its own file's line.
            Log.LogError(null, "BUILDER", null, e.FileName is { } file && file != Path.GetFileName(Dockerfile) ? Path.Combine(ContextDirectory, file) : Dockerfile, e.Line ?? 0, 0, 0, 0, e.Reason);
            return false;
        }
        if (signer is not null)
        {
            // A signature names one manifest digest: sign (and tag) the compressed manifest PushImage sends.
            built = built with { Manifest = await new ImageCompression(host.Store).CompressAsync(built.Manifest, cancellationToken).ConfigureAwait(false) };
        }
        // The store always gets the tags; BuilderOutput adds an export, written by the engine as `builder build -o` writes it.
        IReadOnlyList<BuildOutput> outputs = [new BuildOutput(BuildOutputType.Image), .. request.Outputs];
        try
        {
            await BuildOutputWriter.WriteAsync(host.Store, built.Manifest, outputs, names, cancellationToken).ConfigureAwait(false);
        }
        catch (BuildException e)
        {
            Log.LogError(e.Message);
            return false;
        }
        if (signer is not null && !await SignAsync(host, built, signer, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }
        Images = [.. names.Select(name =>
        {
            var item = new TaskItem(name.ToString());
            item.SetMetadata("Digest", built.Manifest.Digest.ToString());
            item.SetMetadata("MediaType", built.Manifest.MediaType);
            item.SetMetadata("Size", built.Manifest.Size.ToString(System.Globalization.CultureInfo.InvariantCulture));
            item.SetMetadata("ImageId", built.ImageId.ToString());
            return (ITaskItem)item;
        })];
        Log.LogMessage(MessageImportance.High, $"Built image {string.Join(", ", names)} ({built.ImageId})");
        return !Log.HasLoggedErrors;
    }

    /// <summary>The signing key the Sign* properties name; null (with an error logged) when they do not name one.</summary>
    private SigningIdentity? LoadSigner()
    {
        var key = Given(SignKey);
        var pfx = Given(SignPfx);
        var certificate = Given(SignCert);
        if ((key is null) == (pfx is null) || (key is not null && certificate is null))
        {
            Log.LogError("BuilderSign needs BuilderSignKey with BuilderSignCert, or BuilderSignPfx (not both)");
            return null;
        }
        string? password = null;
        if (Given(SignPasswordEnv) is { } variable && (password = Environment.GetEnvironmentVariable(variable)) is null)
        {
            Log.LogError($"BuilderSignPasswordEnv names {variable}, which is not set");
            return null;
        }
        try
        {
            return key is not null ? SigningIdentity.FromPem(key, certificate!, password) : SigningIdentity.FromPfx(pfx!, password, certificate);
        }
        catch (SigningException e)
        {
            Log.LogError(e.Message);
            return null;
        }
    }

    private async Task<bool> SignAsync(ImageBuildHost host, BuildResult built, SigningIdentity signer, CancellationToken cancellationToken)
    {
        TimestampAuthority? timestamps = null;
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(1) };
        if (Given(SignTimestampUrl) is { } url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                Log.LogError($"BuilderSignTimestampUrl {url} is not an http(s) URL");
                return false;
            }
            timestamps = new TimestampAuthority(http, uri);
        }
        try
        {
            // A multi-platform image is signed image by image: a signature names one manifest, never the index.
            IReadOnlyList<Descriptor> manifests = Oci.MediaTypes.IsIndex(built.Manifest.MediaType)
                ? (await host.Store.ReadIndexAsync(built.Manifest, cancellationToken).ConfigureAwait(false)).Value.Manifests
                : [built.Manifest];
            foreach (var manifest in manifests)
            {
                var subject = new SubjectManifest(manifest, await host.Store.ReadBlobAsync(manifest, cancellationToken).ConfigureAwait(false));
                var signature = await ImageSignatures.SignAsync(new LayoutReferrerStore(host.Store), subject, signer, timestamps, cancellationToken).ConfigureAwait(false);
                Log.LogMessage(MessageImportance.High, $"Signed {manifest.Digest} as {signer.Certificate.Subject} (signature {signature.Descriptor.Digest})");
            }
            return true;
        }
        catch (SigningException e)
        {
            Log.LogError(e.Message);
            return false;
        }
    }

    private static string? Given(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static IReadOnlyList<CacheSpec> ParseCaches(string? values, Func<string, CacheSpec> parse) =>
        [.. (values ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(parse)];

    /// <summary>Build progress as MSBuild messages: BuildKit's plain lines.</summary>
    private sealed class MSBuildProgress(TaskLoggingHelper log) : IBuildProgress
    {
        private readonly Lock _gate = new();

        public void Report(BuildEvent buildEvent)
        {
            lock (_gate)
            {
                switch (buildEvent)
                {
                    case VertexStarted started:
                        log.LogMessage(MessageImportance.High, $"#{started.Vertex} {started.Name}");
                        break;
                    case VertexCached cached:
                        log.LogMessage(MessageImportance.High, cached.Source is null
                            ? $"#{cached.Vertex} CACHED"
                            : $"#{cached.Vertex} CACHED ({cached.Source}) {cached.BytesFetched} bytes");
                        break;
                    case VertexLog line:
                        log.LogMessage(MessageImportance.Normal, $"#{line.Vertex} {line.Line}");
                        break;
                    case VertexCompleted { Error: null } done:
                        log.LogMessage(MessageImportance.Normal, $"#{done.Vertex} DONE {done.Duration.TotalSeconds:0.0}s");
                        break;
                    case BuildWarning warning:
                        log.LogWarning(warning.Message);
                        break;
                }
            }
        }
    }
}
