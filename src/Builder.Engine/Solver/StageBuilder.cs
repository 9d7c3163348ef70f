using System.Diagnostics;
using System.Globalization;
using System.Text;
using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Graph;
using Builder.Dockerfile.Shell;
using Builder.Dockerfile.Syntax;
using Builder.Engine.Context;
using Builder.Engine.Semantics;
using Builder.Oci;
using Builder.Oci.Images;
using Builder.Oci.Layers;
using Builder.Sandbox;
using Builder.Sandbox.Runtime;

namespace Builder.Engine.Solver;

/// <summary>
/// Builds one stage, instruction by instruction, as BuildKit's Dockerfile frontend defines them: config edits
/// change the image config and add an empty history entry; RUN, COPY, ADD and a WORKDIR that creates a directory add
/// a layer, reused from the cache when their key matches.
/// </summary>
internal sealed class StageBuilder(BuildSession session, StageGraph graph, StageNode node)
{
    private const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private readonly List<ILayer> _layers = [];
    private readonly List<HistoryEntry> _history = [];
    private ImageConfig _image = null!;
    private ContainerConfig _config = new();
    private Digest _key;
    private bool _cmdSet;
    private StageVariables _variables = null!;

    private Stage Stage => node.Stage;

    private int StepCount => Stage.Instructions.Count(i => i is RunInstruction or CopyInstruction or AddInstruction or WorkdirInstruction) + 1;

    private int _step;

    public async Task<StageResult> BuildAsync(CancellationToken cancellationToken)
    {
        _variables = new StageVariables(session.Request.BuildArgs, graph.GlobalArgs, session.Lexer, session.UsedBuildArgs);
        await FromAsync(cancellationToken).ConfigureAwait(false);
        foreach (var instruction in Stage.Instructions)
        {
            try
            {
                await ApplyAsync(instruction, cancellationToken).ConfigureAwait(false);
            }
            catch (ShellExpansionException e)
            {
                throw new DockerfileException(session.FileName, instruction.Span, e.Message);
            }
            catch (BuildException e) when (e.Line is null)
            {
                throw new BuildException(session.FileName, instruction.Span.Start.Line, $"{instruction.Syntax.Original.Split('\n')[0].Trim()}: {e.Message}", e);
            }
        }
        return new StageResult(_image with { Config = _config, History = [.. _history] }, [.. _layers], _key, _variables);
    }

    private async Task FromAsync(CancellationToken cancellationToken)
    {
        var vertex = session.NextVertex();
        var clock = Stopwatch.StartNew();
        session.Progress.Report(new VertexStarted(vertex, DateTimeOffset.UtcNow, $"[{Stage.DisplayName} 1/{StepCount}] {Stage.From.Syntax.Original.Trim()}"));
        _step = 1;
        switch (node.Base)
        {
            case BaseScratch:
                // BuildKit's empty image: the default PATH and WorkingDir "/" (dockerfile2llb's emptyImage).
                _image = ImageConfig.Empty(session.Request.Platform);
                _config = new ContainerConfig { Env = [DefaultPath], WorkingDir = "/" };
                _key = CacheKey.Of(default, "FROM scratch", session.Request.Platform.ToString());
                break;
            case BaseStage { StageIndex: var index }:
                var parent = await session.Stages[index].ConfigureAwait(false);
                _image = parent.Config;
                _config = parent.Config.Config ?? new ContainerConfig();
                _layers.AddRange(parent.Layers);
                _history.AddRange(parent.Config.History ?? []);
                _key = parent.CacheKey;
                // A stage based on a stage starts from its variables: the parent's ARG values stay in scope.
                _variables = parent.Variables.Derive();
                break;
            case BaseImage { Reference: var reference }:
                var image = await session.ResolveImageAsync(reference, node.Platform, vertex, cancellationToken).ConfigureAwait(false);
                _image = image.Config.Value;
                _config = image.Config.Value.Config ?? new ContainerConfig();
                _layers.AddRange(image.Layers);
                _history.AddRange(image.Config.Value.History ?? []);
                _key = CacheKey.Of(default, "FROM", image.Descriptor.Digest.ToString());
                break;
        }
        // Every stage has a PATH: the default is added to a base's Env that lacks one, as BuildKit does.
        if (!StageVariables.HasEnvEntry(Env, "PATH"))
        {
            _config = _config with { Env = [.. Env, DefaultPath] };
        }
        _variables.ApplyImageEnv(Env);
        session.Progress.Report(new VertexCompleted(vertex, DateTimeOffset.UtcNow, clock.Elapsed, null));
        // The base's ONBUILD triggers run first, then are gone from this image, as in docker.
        var triggers = _config.OnBuild ?? [];
        _config = _config with { OnBuild = null };
        foreach (var trigger in triggers)
        {
            var bound = Binder.Bind(DockerfileParser.Parse($"FROM scratch\n{trigger}\n", session.FileName));
            foreach (var instruction in bound.Stages[0].Instructions)
            {
                await ApplyAsync(instruction, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private IReadOnlyList<string> Env => _config.Env ?? [];

    private string Expand(string word) => _variables.Expand(word);

    private void History(string createdBy, bool emptyLayer) =>
        _history.Add(new HistoryEntry { Created = Now, CreatedBy = createdBy, Comment = emptyLayer ? null : "buildkit.dockerfile.v0", EmptyLayer = emptyLayer });

    private DateTimeOffset Now => session.Request.SourceDateEpoch ?? DateTimeOffset.UtcNow;

    private async Task ApplyAsync(Instruction instruction, CancellationToken cancellationToken)
    {
        switch (instruction)
        {
            case ArgInstruction arg:
                // Declared one by one: a default sees the ARGs before it in the same instruction (current BuildKit).
                var declared = arg.Args.Select(a => (a.Name, Value: _variables.Declare(a))).ToList();
                History("ARG " + string.Join(' ', declared.Select(a => a.Value is null ? a.Name : $"{a.Name}={a.Value}")), emptyLayer: true);
                break;
            case EnvInstruction env:
                // Names and values are words, expanded (and unquoted) with the variables before this ENV; a name already
                // in the config's Env is replaced where it is.
                var values = env.Variables.Select(v => (Key: Expand(v.Key), Value: Expand(v.Value))).ToList();
                foreach (var (key, value) in values)
                {
                    _config = _config with { Env = StageVariables.SetEnvEntry(Env, key, value) };
                    _variables.SetEnv(key, value);
                }
                History("ENV " + string.Join(' ', values.Select(v => $"{v.Key}={v.Value}")), emptyLayer: true);
                break;
            case LabelInstruction label:
                var labels = new Dictionary<string, string>(_config.Labels ?? new Dictionary<string, string>());
                var expanded = label.Labels.Select(l => (Key: Expand(l.Key), Value: Expand(l.Value))).ToList();
                foreach (var (key, value) in expanded)
                {
                    labels[key] = value;
                }
                _config = _config with { Labels = labels };
                History("LABEL " + string.Join(' ', expanded.Select(l => $"{l.Key}={l.Value}")), emptyLayer: true);
                break;
            case ExposeInstruction expose:
                var ports = (_config.ExposedPorts ?? []).ToList();
                foreach (var port in expose.Ports.SelectMany(p => _variables.ExpandWords(p)).SelectMany(ExpandPorts))
                {
                    if (!ports.Contains(port))
                    {
                        ports.Add(port);
                    }
                }
                _config = _config with { ExposedPorts = ports };
                History($"EXPOSE map[{string.Join(' ', ports.Order(StringComparer.Ordinal).Select(p => p + ":{}"))}]", emptyLayer: true);
                break;
            case VolumeInstruction volume:
                var volumes = (_config.Volumes ?? []).ToList();
                foreach (var path in volume.Paths.Select(Expand))
                {
                    if (path.Length == 0)
                    {
                        throw new BuildException("VOLUME specified can not be an empty string");
                    }
                    if (!volumes.Contains(path))
                    {
                        volumes.Add(path);
                    }
                }
                _config = _config with { Volumes = volumes };
                History("VOLUME [" + string.Join(' ', volume.Paths.Select(Expand)) + "]", emptyLayer: true);
                break;
            case StopSignalInstruction stop:
                var signal = Expand(stop.Signal);
                _config = _config with { StopSignal = StopSignal.Error(signal) is { } error ? throw new BuildException(error) : signal };
                History("STOPSIGNAL " + _config.StopSignal, emptyLayer: true);
                break;
            case UserInstruction user:
                _config = _config with { User = Expand(user.User) };
                History("USER " + _config.User, emptyLayer: true);
                break;
            case ShellInstruction shell:
                _config = _config with { Shell = shell.Shell };
                History("SHELL [" + string.Join(' ', shell.Shell) + "]", emptyLayer: true);
                break;
            case CmdInstruction cmd:
                _config = _config with { Cmd = cmd.Command.ToArgs(Shell) };
                _cmdSet = true;
                History("CMD " + Json(_config.Cmd), emptyLayer: true);
                break;
            case EntrypointInstruction entrypoint:
                // An ENTRYPOINT drops a CMD inherited from the base, not one this stage set (BuildKit's cmdSet).
                _config = _config with { Entrypoint = entrypoint.Command.ToArgs(Shell), Cmd = _cmdSet ? _config.Cmd : null };
                History("ENTRYPOINT " + Json(_config.Entrypoint), emptyLayer: true);
                break;
            case HealthcheckInstruction health:
                _config = _config with
                {
                    Healthcheck = health.IsNone
                        ? new HealthcheckConfig { Test = ["NONE"] }
                        : new HealthcheckConfig
                        {
                            Test = health.Test,
                            Interval = NullIfZero(health.Interval),
                            Timeout = NullIfZero(health.Timeout),
                            StartPeriod = NullIfZero(health.StartPeriod),
                            StartInterval = NullIfZero(health.StartInterval),
                            Retries = health.Retries == 0 ? null : health.Retries,
                        },
                };
                History("HEALTHCHECK " + (health.IsNone ? "NONE" : "&{" + Json(health.Test) + "}"), emptyLayer: true);
                break;
            case MaintainerInstruction maintainer:
                _image = _image with { Author = Expand(maintainer.Maintainer) };
                History("MAINTAINER " + _image.Author, emptyLayer: true);
                break;
            case OnbuildInstruction onbuild:
                _config = _config with { OnBuild = [.. _config.OnBuild ?? [], onbuild.Expression] };
                break;
            case WorkdirInstruction workdir:
                await WorkdirAsync(workdir, cancellationToken).ConfigureAwait(false);
                break;
            case RunInstruction run:
                await new RunStep(session, this, run).ExecuteAsync(cancellationToken).ConfigureAwait(false);
                break;
            case CopyInstruction copy:
                await CopyAsync(copy, new CopyFlags(copy.From, copy.Chown, copy.Chmod, copy.Excludes, Extract: false, copy.Link, copy.Parents, KeepGitDirectory: false),
                    copy.Sources, copy.InlineSources, copy.Destination, cancellationToken).ConfigureAwait(false);
                break;
            case AddInstruction add:
                await CopyAsync(add, new CopyFlags(null, add.Chown, add.Chmod, add.Excludes, Extract: add.Unpack ?? true, add.Link, Parents: false, add.KeepGitDir),
                    add.Sources, add.InlineSources, add.Destination, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new BuildException($"{instruction.Name} is not supported here");
        }
    }

    private IReadOnlyList<string> Shell => _config.Shell is { Count: > 0 } shell ? shell : ["/bin/sh", "-c"];

    internal string WorkingDirectory => string.IsNullOrEmpty(_config.WorkingDir) ? "/" : _config.WorkingDir;

    internal ContainerConfig Config => _config;

    internal StageVariables Variables => _variables;

    internal IReadOnlyList<ILayer> Layers => _layers;

    internal Digest Key => _key;

    internal string DisplayStep(Instruction instruction) =>
        $"[{Stage.DisplayName} {++_step}/{StepCount}] {instruction.Syntax.Original.Split('\n')[0].Trim()}";

    /// <summary>Records a step's outcome: its layer (none when it changed nothing) and history, under its cache key.</summary>
    internal void Commit(Digest key, Descriptor? layer, Digest? diffId, string createdBy)
    {
        _key = key;
        if (layer is not null && diffId is { } id)
        {
            _layers.Add(new StoredLayer(session.Store, layer, id));
            _image = _image with { RootFs = RootFs.Layers([.. _image.RootFs.DiffIds, id]) };
        }
        History(createdBy, emptyLayer: layer is null);
    }

    private async Task WorkdirAsync(WorkdirInstruction workdir, CancellationToken cancellationToken)
    {
        var path = Expand(workdir.Path);
        var absolute = NormalizeAbsolute(path.StartsWith('/') ? path : $"{WorkingDirectory.TrimEnd('/')}/{path}");
        _config = _config with { WorkingDir = absolute };
        // BuildKit makes every WORKDIR but "/" a mkdir -p of its own: a layer, empty when the directory exists.
        if (absolute == "/")
        {
            History("WORKDIR " + absolute, emptyLayer: true);
            return;
        }
        var view = await session.ViewAsync(_layers, cancellationToken).ConfigureAwait(false);
        var vertex = session.NextVertex();
        var clock = Stopwatch.StartNew();
        session.Progress.Report(new VertexStarted(vertex, DateTimeOffset.UtcNow, DisplayStep(workdir)));
        var key = CacheKey.Of(_key, "WORKDIR", absolute, _config.User ?? "");
        if (!session.Request.NoCache && await session.Cache.GetAsync(key, cancellationToken).ConfigureAwait(false) is { } hit)
        {
            session.Progress.Report(new VertexCached(vertex, DateTimeOffset.UtcNow));
            Commit(key, hit.Layer, hit.DiffId, "WORKDIR " + absolute);
            session.Progress.Report(new VertexCompleted(vertex, DateTimeOffset.UtcNow, clock.Elapsed, null));
            return;
        }
        // BuildKit's mkdir -p on the path resolved in the stage's file system: symlinks on the way, the last one included,
        // are followed and kept (WORKDIR /bin/x on a merged-/usr base is /usr/bin/x; WORKDIR /x with /x -> /srv/x makes
        // /srv/x), and only what is missing behind them is made.
        var real = new ViewSourceTree(view).Resolve(absolute.TrimStart('/'))
            ?? throw new BuildException($"mkdir {absolute}: too many levels of symbolic links");
        var changes = new List<LayerChange>();
        if (view.Lookup("/" + real) is not { IsDirectory: true })
        {
            var owner = string.IsNullOrEmpty(_config.User) ? (0L, 0L) : ResolveOwner(view, _config.User!);
            var current = "";
            foreach (var part in real.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                current = current.Length == 0 ? part : $"{current}/{part}";
                changes.Add(view.Lookup("/" + current) switch
                {
                    { IsDirectory: true } existing => new LayerEntry(current, LayerEntryType.Directory) { Mode = (UnixFileMode)existing.Permissions, UserId = existing.Uid, GroupId = existing.Gid },
                    null => new LayerEntry(current, LayerEntryType.Directory) { Mode = (UnixFileMode)0b111_101_101, UserId = owner.Item1, GroupId = owner.Item2, ModificationTime = Now },
                    _ => throw new BuildException($"mkdir /{current}: not a directory"),
                });
            }
        }
        var layer = await session.WriteLayerAsync(changes, null, cancellationToken).ConfigureAwait(false);
        await session.Cache.PutAsync(key, new CacheRecord(layer.Compressed, layer.DiffId), cancellationToken).ConfigureAwait(false);
        Commit(key, layer.Compressed, layer.DiffId, "WORKDIR " + absolute);
        session.Progress.Report(new VertexCompleted(vertex, DateTimeOffset.UtcNow, clock.Elapsed, null));
    }

    /// <summary>The flags of one COPY or ADD.</summary>
    private sealed record CopyFlags(string? From, string? Chown, string? Chmod, IReadOnlyList<string> Excludes, bool Extract, bool Link, bool Parents, bool KeepGitDirectory);

    private async Task CopyAsync(Instruction instruction, CopyFlags flags, IReadOnlyList<string> sources, IReadOnlyList<InlineSource> inline,
        string destinationWord, CancellationToken cancellationToken)
    {
        var vertex = session.NextVertex();
        var clock = Stopwatch.StartNew();
        session.Progress.Report(new VertexStarted(vertex, DateTimeOffset.UtcNow, DisplayStep(instruction)));
        // BuildKit links a copy only without --chmod (dockerfile2llb: `cfg.link && cfg.chmod == ""`); with it, --link
        // copies onto the stage as a plain COPY does.
        if (flags.Link && flags.Chmod is not null)
        {
            flags = flags with { Link = false };
        }
        var view = await session.ViewAsync(_layers, cancellationToken).ConfigureAwait(false);
        var destination = Expand(destinationWord);
        // "." and ".." resolved; a trailing "/" (or a destination that is "." itself) keeps meaning "into this directory".
        var absolute = NormalizeAbsolute(destination.StartsWith('/') ? destination : $"{WorkingDirectory.TrimEnd('/')}/{destination}");
        if (destination.EndsWith('/') || destination is "." || destination.EndsWith("/.", StringComparison.Ordinal))
        {
            absolute = absolute.TrimEnd('/') + "/";
        }
        // Each source is one word after expansion, never split (BuildKit's single-word expansion for COPY and ADD).
        var expandedSources = sources.Select(Expand).ToList();
        // Names in --chown are looked up in this stage's /etc/passwd and /etc/group, with --link too.
        // An --chown that expands to nothing is no --chown, as in BuildKit.
        var owner = flags.Chown is null || Expand(flags.Chown) is not { Length: > 0 } chown ? ((long, long)?)null : ResolveOwner(view, chown);
        // The binder has checked --chmod (it is never expanded).
        uint? mode = flags.Chmod is null ? null
            : Binder.TryParseChmod(flags.Chmod, out var parsed) ? parsed
            : throw new BuildException($"invalid chmod parameter: '{flags.Chmod}'. it should be octal string and between 0 and 07777");
        var request = new CopyRequest(expandedSources, absolute)
        {
            Chown = owner,
            Chmod = mode,
            Excludes = flags.Excludes.Count > 0 ? Builder.Dockerfile.Ignore.DockerIgnoreMatcher.Create(flags.Excludes) : null,
            ExtractArchives = flags.Extract,
            Parents = flags.Parents,
        };
        var createdBy = $"{instruction.Name} {instruction.Syntax.ArgumentText.Trim()} # buildkit";

        // --link: the files are copied onto an empty directory, so the layer depends on its sources alone and is cached
        // apart from the steps before it; the stage's own key still chains it after them.
        Digest StepKey(CopyRequest r, string contentKey) =>
            CacheKey.Of(flags.Link ? default : _key, instruction.Name, string.Join('\0', r.Sources), absolute, $"{r.Chown}", $"{r.Chmod}",
                string.Join('\0', flags.Excludes), r.ExtractArchives.ToString(), flags.Link ? "link" : "", flags.Parents ? "parents" : "", contentKey);

        ICopySourceTree tree;
        string sourceKey;
        var temporary = new List<string>();
        var gitSources = instruction is AddInstruction ? expandedSources.Select(s => GitReference.TryParse(s, out var g) ? g : null).ToList() : [];
        var urls = instruction is AddInstruction ? expandedSources.Where(IsUrl).ToList() : [];
        try
        {
            if (gitSources.Any(g => g is not null))
            {
                if (gitSources.Count != 1)
                {
                    throw new BuildException("ADD: a git repository must be the only source of its ADD");
                }
                var git = gitSources[0]!;
                var commit = await GitSource.ResolveCommitAsync(git, cancellationToken).ConfigureAwait(false);
                if (instruction is AddInstruction { Checksum: { } checksum } && !commit.StartsWith(Expand(checksum), StringComparison.OrdinalIgnoreCase))
                {
                    throw new BuildException($"ADD {git.Remote}: the commit is {commit}, --checksum expects {Expand(checksum)}");
                }
                // The checkout is ours: files are root's unless --chown says otherwise, as BuildKit's git source gives them.
                request = request with { Sources = [git.Subdirectory ?? ""], ExtractArchives = false, Chown = request.Chown ?? (0, 0) };
                sourceKey = $"git\0{git.Remote}\0{commit}\0{git.Subdirectory}\0{flags.KeepGitDirectory}";
                if (await CachedAsync(StepKey(request, sourceKey), vertex, createdBy, flags.Link, cancellationToken).ConfigureAwait(false))
                {
                    session.Progress.Report(new VertexCompleted(vertex, DateTimeOffset.UtcNow, clock.Elapsed, null));
                    return;
                }
                var checkout = Directory.CreateTempSubdirectory("builder-add-git-").FullName;
                temporary.Add(checkout);
                await GitSource.CheckoutAsync(git, commit, Path.Combine(checkout, "repo"), flags.KeepGitDirectory, cancellationToken).ConfigureAwait(false);
                tree = new DirectorySourceTree(Path.Combine(checkout, "repo"));
                if (git.Subdirectory is { } subdirectory && (tree.Follow(subdirectory) is not { } real || tree.Stat(real) is not { IsDirectory: true }))
                {
                    throw new BuildException($"ADD {git.Remote}: the checkout has no directory {subdirectory}");
                }
            }
            else if (urls.Count > 0)
            {
                if (urls.Count != expandedSources.Count)
                {
                    throw new BuildException("ADD: mixing URLs and local sources in one instruction is not supported; use two ADD instructions");
                }
                // Remote files: downloaded (and checked against --checksum), mode 0600 unless --chmod, never extracted.
                var downloadDirectory = Directory.CreateTempSubdirectory("builder-add-url-").FullName;
                temporary.Add(downloadDirectory);
                var names = new List<string>();
                foreach (var url in urls)
                {
                    names.Add(await DownloadAsync(url, downloadDirectory, instruction is AddInstruction { Checksum: { } sum } ? Expand(sum) : null, cancellationToken).ConfigureAwait(false));
                }
                // The download is a 0600 file (BuildKit's HTTP source), which --chmod replaces; the directories made for it stay 0755.
                foreach (var name in names)
                {
                    File.SetUnixFileMode(Path.Combine(downloadDirectory, name), (UnixFileMode)0b110_000_000);
                }
                var downloads = BuildContext.Open(downloadDirectory, null, null);
                tree = new ContextSourceTree(downloads);
                request = request with { Sources = names, ExtractArchives = false };
                sourceKey = downloads.Hash(names);
            }
            else if (inline.Count > 0)
            {
                // Heredoc sources: written to a directory of their own and copied from there.
                var inlineDirectory = Directory.CreateTempSubdirectory("builder-heredoc-").FullName;
                temporary.Add(inlineDirectory);
                foreach (var file in inline)
                {
                    var written = Path.Combine(inlineDirectory, file.Name);
                    await File.WriteAllTextAsync(written, file.Expand ? Expand(file.Content) : file.Content, cancellationToken).ConfigureAwait(false);
                    // 0644 whatever the builder's umask, as BuildKit writes heredoc files.
                    File.SetUnixFileMode(written, (UnixFileMode)0b110_100_100);
                }
                tree = new ContextSourceTree(BuildContext.Open(inlineDirectory, null, null));
                request = request with { Sources = [.. inline.Select(i => i.Name)] };
                sourceKey = string.Join('\n', inline.Select(i => i.Name + "\0" + i.Content));
            }
            else if (flags.From is null)
            {
                tree = new ContextSourceTree(session.Context);
                sourceKey = "";
            }
            else if (graph.Stages.FirstOrDefault(s => s.Stage.Index == ResolveStageIndex(flags.From)) is { } stage)
            {
                var built = await session.Stages[stage.Stage.Index].ConfigureAwait(false);
                tree = new ViewSourceTree(await session.ViewAsync(built.Layers, cancellationToken).ConfigureAwait(false));
                sourceKey = built.CacheKey.ToString();
            }
            else
            {
                var image = await session.ResolveImageAsync(Expand(flags.From), null, vertex, cancellationToken).ConfigureAwait(false);
                tree = new ViewSourceTree(await session.ViewAsync(image.Layers, cancellationToken).ConfigureAwait(false));
                sourceKey = image.Descriptor.Digest.ToString();
            }

            using var plan = CopyPlanner.Plan(request, tree, flags.Link ? MergedView.Empty : view);
            var fromContext = tree is ContextSourceTree context && context.Context == session.Context;
            var key = StepKey(request, fromContext ? session.Context.Hash(plan.ReadPaths) : sourceKey);
            if (!await CachedAsync(key, vertex, createdBy, flags.Link, cancellationToken).ConfigureAwait(false))
            {
                var layer = await session.WriteLayerAsync(plan.Changes, key, cancellationToken).ConfigureAwait(false);
                await session.Cache.PutAsync(key, new CacheRecord(layer.Compressed, layer.DiffId), cancellationToken).ConfigureAwait(false);
                Commit(flags.Link ? CacheKey.Of(_key, "link", key.ToString()) : key, layer.Compressed, layer.DiffId, createdBy);
            }
        }
        finally
        {
            foreach (var directory in temporary.Where(Directory.Exists))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        session.Progress.Report(new VertexCompleted(vertex, DateTimeOffset.UtcNow, clock.Elapsed, null));
    }

    /// <summary>A cache hit for a COPY/ADD layer is committed here; a --link layer's key is chained after the stage's.</summary>
    private async Task<bool> CachedAsync(Digest key, int vertex, string createdBy, bool link, CancellationToken cancellationToken)
    {
        if (session.Request.NoCache || await session.Cache.GetAsync(key, cancellationToken).ConfigureAwait(false) is not { } hit)
        {
            return false;
        }
        session.Progress.Report(new VertexCached(vertex, DateTimeOffset.UtcNow));
        Commit(link ? CacheKey.Of(_key, "link", key.ToString()) : key, hit.Layer, hit.DiffId, createdBy);
        return true;
    }

    private static bool IsUrl(string source) =>
        source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>ADD's download: the file is named after the URL's last path segment; --checksum is verified before use.</summary>
    private static async Task<string> DownloadAsync(string url, string directory, string? checksum, CancellationToken cancellationToken)
    {
        // The URL and --checksum are the user's text: both are checked before anything is downloaded.
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw new BuildException($"ADD {url}: not a valid URL");
        }
        Digest? expected = null;
        if (checksum is not null)
        {
            expected = Digest.TryParse(checksum, out var parsed) ? parsed : throw new BuildException($"ADD --checksum={checksum}: not a digest (sha256:…)");
        }
        var name = Path.GetFileName(uri.AbsolutePath.TrimEnd('/'));
        if (string.IsNullOrEmpty(name))
        {
            name = "index.html";
        }
        var path = Path.Combine(directory, name);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new BuildException($"ADD {url}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BuildException($"ADD {url}: no answer within {http.Timeout.TotalMinutes} minutes", e);
        }
        using var _ = response;
        if (!response.IsSuccessStatusCode)
        {
            throw new BuildException($"ADD {url}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        await using (var file = File.Create(path))
        {
            await response.Content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
        }
        if (expected is { } digest)
        {
            await using var read = File.OpenRead(path);
            using var hash = digest.CreateHash();
            var buffer = new byte[1 << 16];
            int count;
            while ((count = await read.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, count);
            }
            var actual = Digest.FromHash(digest.Algorithm, hash.GetHashAndReset());
            if (actual != digest)
            {
                throw new BuildException($"ADD {url}: digest mismatch: --checksum says {digest}, the download is {actual}");
            }
        }
        if (response.Content.Headers.LastModified is { } modified)
        {
            File.SetLastWriteTimeUtc(path, modified.UtcDateTime);
        }
        return name;
    }

    internal int? ResolveStageIndex(string from)
    {
        var name = Expand(from);
        if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < Stage.Index)
        {
            return index;
        }
        return graph.Dockerfile.Stages.LastOrDefault(s => s.Index < Stage.Index && string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))?.Index
            ?? graph.Dockerfile.Stages.LastOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))?.Index;
    }

    /// <summary>
    /// --chown and a WORKDIR's owner under USER, resolved as BuildKit's file operations do: <c>root</c> and numbers need no
    /// /etc/passwd (a scratch stage has none); names are looked up in the stage's /etc/passwd and /etc/group.
    /// </summary>
    internal static (long, long) ResolveOwner(MergedView view, string user)
    {
        var (uid, gid) = UserResolver.ResolveOwner(user, view.ReadText("/etc/passwd"), view.ReadText("/etc/group"));
        return (uid, gid);
    }

    private static TimeSpan? NullIfZero(TimeSpan value) => value == TimeSpan.Zero ? null : value;

    private static string Json(IReadOnlyList<string>? words) =>
        "[" + string.Join(",", (words ?? []).Select(w => "\"" + w.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"")) + "]";

    private static string NormalizeAbsolute(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
            }
            else if (part != ".")
            {
                parts.Add(part);
            }
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>EXPOSE's forms: <c>80</c> → <c>80/tcp</c>, <c>8000-8002/udp</c> → each port, protocols lower-cased.</summary>
    private static IReadOnlyList<string> ExpandPorts(string text)
    {
        try
        {
            return ExposedPorts.Parse(text);
        }
        catch (FormatException e)
        {
            throw new BuildException(e.Message);
        }
    }
}
