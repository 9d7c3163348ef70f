using System.Diagnostics;
using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Graph;
using Builder.Dockerfile.Shell;
using Builder.Dockerfile.Syntax;
using Builder.Engine.Semantics;
using Builder.Oci;
using Builder.Oci.Images;

namespace Builder.Engine.Solver;

/// <summary>
/// Builds one stage, instruction by instruction, as BuildKit's Dockerfile frontend defines them: config edits
/// change the image config and add an empty history entry; RUN, COPY, ADD and a WORKDIR that creates a directory add
/// a layer, reused from the cache when their key matches. Those layer steps (<see cref="RunStep"/>, <see cref="CopyStep"/>,
/// <see cref="WorkdirStep"/>) read the stage as a <see cref="StepInput"/> and return a <see cref="StepOutput"/>, which
/// is applied here: a step never changes the stage itself.
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
                var absolute = WorkdirStep.Resolve(workdir, Input);
                _config = _config with { WorkingDir = absolute };
                // BuildKit makes every WORKDIR but "/" a mkdir -p of its own: a layer, empty when the directory exists.
                if (absolute == "/")
                {
                    History("WORKDIR " + absolute, emptyLayer: true);
                    break;
                }
                await LayerStepAsync(workdir, new WorkdirStep(session, Input, absolute).ExecuteAsync, cancellationToken).ConfigureAwait(false);
                break;
            case RunInstruction run:
                await LayerStepAsync(run, new RunStep(session, Input, run).ExecuteAsync, cancellationToken).ConfigureAwait(false);
                break;
            case CopyInstruction or AddInstruction:
                await LayerStepAsync(instruction, new CopyStep(session, Input, instruction).ExecuteAsync, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new BuildException($"{instruction.Name} is not supported here");
        }
    }

    private IReadOnlyList<string> Shell => _config.Shell is { Count: > 0 } shell ? shell : ["/bin/sh", "-c"];

    /// <summary>The stage as the next step finds it; the layers are a copy, which the step's output does not change.</summary>
    private StepInput Input => new(_config, [.. _layers], _key, _variables, new StageNames(graph, Stage.Index));

    /// <summary>Runs a step that makes a layer (through <see cref="StepRunner"/>, numbered as the next step) and applies its output.</summary>
    private async Task LayerStepAsync(Instruction instruction, Func<StepContext, CancellationToken, Task<StepOutput>> step, CancellationToken cancellationToken)
    {
        var display = $"[{Stage.DisplayName} {++_step}/{StepCount}] {instruction.Syntax.Original.Split('\n')[0].Trim()}";
        var output = await StepRunner.RunAsync(session, display, context => step(context, cancellationToken), cancellationToken).ConfigureAwait(false);
        Commit(output.StageKey, output.Record.Layer, output.Record.DiffId, output.CreatedBy);
    }

    /// <summary>Records a step's outcome: its layer (none when it changed nothing) and history, under its cache key.</summary>
    private void Commit(Digest key, Descriptor? layer, Digest? diffId, string createdBy)
    {
        _key = key;
        if (layer is not null && diffId is { } id)
        {
            _layers.Add(new StoredLayer(session.Store, layer, id));
            _image = _image with { RootFs = RootFs.Layers([.. _image.RootFs.DiffIds, id]) };
        }
        History(createdBy, emptyLayer: layer is null);
    }

    private static TimeSpan? NullIfZero(TimeSpan value) => value == TimeSpan.Zero ? null : value;

    private static string Json(IReadOnlyList<string>? words) =>
        "[" + string.Join(",", (words ?? []).Select(w => "\"" + w.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"")) + "]";

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
