using System.Diagnostics;
using Builder.Cache;
using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Graph;
using Builder.Dockerfile.Shell;
using Builder.Dockerfile.Syntax;
using Builder.Engine.Semantics;
using Builder.Oci;
using Builder.Oci.Images;

namespace Builder.Engine.Solver;

/// <summary>
/// Builds one stage as BuildKit's Dockerfile frontend defines it, by sequencing steps: FROM, the base's ONBUILD
/// triggers, then each instruction. A config instruction is a <see cref="ConfigStep"/>, a function of the stage's
/// <see cref="ConfigState"/> that adds an empty history entry; RUN, COPY, ADD and a WORKDIR that creates a directory are
/// layer steps (<see cref="RunStep"/>, <see cref="CopyStep"/>, <see cref="WorkdirStep"/>), run by
/// <see cref="StepRunner"/> with their progress and cache. Each step reads the stage and returns an output, which is
/// applied here: a step never changes the stage itself.
/// </summary>
internal sealed class StageBuilder(BuildSession session, StageGraph graph, StageNode node)
{
    private const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private readonly List<ILayer> _layers = [];
    private readonly List<HistoryEntry> _history = [];
    private readonly List<CacheStep> _steps = [];
    private ImageConfig _image = null!;
    private ConfigState _state = null!;
    private Digest _key;
    private int _step;

    private Stage Stage => node.Stage;

    private int StepCount => Stage.Instructions.Count(i => i is RunInstruction or CopyInstruction or AddInstruction or WorkdirInstruction) + 1;

    public async Task<StageResult> BuildAsync(CancellationToken cancellationToken)
    {
        await FromAsync(cancellationToken).ConfigureAwait(false);
        foreach (var trigger in TakeTriggers())
        {
            await ApplyAsync(trigger, cancellationToken).ConfigureAwait(false);
        }
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
                throw new BuildException(session.FileName, instruction.Span.Start.Line, $"{FirstLine(instruction)}: {e.Message}", e);
            }
        }
        var image = _image with { Author = _state.Author, Config = _state.Config, History = [.. _history] };
        return new StageResult(image, [.. _layers], _key, _state.Variables, [.. _steps]);
    }

    /// <summary>The base: its config, layers, history and cache key; the stage's variables start from it.</summary>
    private async Task FromAsync(CancellationToken cancellationToken)
    {
        var vertex = session.NextVertex();
        var clock = Stopwatch.StartNew();
        session.Progress.Report(new VertexStarted(vertex, DateTimeOffset.UtcNow, $"[{session.DisplayPrefix}{Stage.DisplayName} 1/{StepCount}] {Stage.From.Syntax.Original.Trim()}"));
        _step = 1;
        var variables = new StageVariables(session.Request.BuildArgs, graph.GlobalArgs, session.Lexer, session.UsedBuildArgs);
        ContainerConfig? config = null;
        switch (node.Base)
        {
            case BaseScratch:
                // BuildKit's empty image: the default PATH and WorkingDir "/" (dockerfile2llb's emptyImage).
                // On FROM --platform's platform when it has one: a BUILDPLATFORM scratch stage is the same for every target.
                var platform = node.Platform is { } given ? Platform.Normalize(Platform.Parse(given)) : session.Request.Platform;
                _image = ImageConfig.Empty(platform);
                config = new ContainerConfig { Env = [DefaultPath], WorkingDir = "/" };
                _key = CacheKey.Of(default, "FROM scratch", platform.ToString());
                break;
            case BaseStage { StageIndex: var index }:
                var parent = await session.Stages[index].ConfigureAwait(false);
                _image = parent.Config;
                _layers.AddRange(parent.Layers);
                _steps.AddRange(parent.Steps);
                _key = parent.CacheKey;
                // A stage based on a stage starts from its variables: the parent's ARG values stay in scope.
                variables = parent.Variables.Derive();
                break;
            case BaseImage { Reference: var reference }:
                var image = await session.ResolveImageAsync(reference, node.Platform, vertex, cancellationToken).ConfigureAwait(false);
                _image = image.Config.Value;
                _layers.AddRange(image.Layers);
                // Keyed by the config digest (the image ID, which names the uncompressed layers' diffIDs), not the
                // manifest digest: the registry's copy of an image is its local copy compressed, and steps on either must
                // have the same keys. (BuildKit's image source keys by the chain ID of the diffIDs for the same reason;
                // the config digest names those and the config the steps read.)
                _key = CacheKey.Of(default, "FROM", image.Id.ToString());
                break;
        }
        config ??= _image.Config ?? new ContainerConfig();
        _history.AddRange(_image.History ?? []);
        // Every stage has a PATH: the default is added to a base's Env that lacks one, as BuildKit does.
        if (!StageVariables.HasEnvEntry(config.Env ?? [], "PATH"))
        {
            config = config with { Env = [.. config.Env ?? [], DefaultPath] };
        }
        variables.ApplyImageEnv(config.Env!);
        _state = new ConfigState(config, _image.Author, variables, CmdSet: false);
        session.Progress.Report(new VertexCompleted(vertex, DateTimeOffset.UtcNow, clock.Elapsed, null));
    }

    /// <summary>The base's ONBUILD triggers, to run before the stage's own instructions; they are gone from this image, as in docker.</summary>
    private IEnumerable<Instruction> TakeTriggers()
    {
        var triggers = _state.Config.OnBuild ?? [];
        _state = _state with { Config = _state.Config with { OnBuild = null } };
        // Each trigger is parsed as it comes: one runs before the next is read.
        return triggers.SelectMany(t => Binder.Bind(DockerfileParser.Parse($"FROM scratch\n{t}\n", session.FileName)).Stages[0].Instructions);
    }

    /// <summary>Runs the instruction's step, or steps: WORKDIR is a config step and, for any path but "/", a layer step after it.</summary>
    private async Task ApplyAsync(Instruction instruction, CancellationToken cancellationToken)
    {
        switch (instruction)
        {
            case RunInstruction run:
                await LayerStepAsync(run, new RunStep(session, Input, run).ExecuteAsync, cancellationToken).ConfigureAwait(false);
                break;
            case CopyInstruction or AddInstruction:
                await LayerStepAsync(instruction, new CopyStep(session, Input, instruction).ExecuteAsync, cancellationToken).ConfigureAwait(false);
                break;
            default:
                var step = ConfigStep.For(instruction) ?? throw new BuildException($"{instruction.Name} is not supported here");
                var output = step.Apply(_state);
                _state = output.State;
                if (!output.EmptyLayer)
                {
                    // Only WORKDIR's config step has a layer step after it: the mkdir of the WorkingDir it set.
                    await LayerStepAsync(instruction, new WorkdirStep(session, Input, _state.Config.WorkingDir!).ExecuteAsync, cancellationToken).ConfigureAwait(false);
                }
                else if (output.CreatedBy is { } createdBy)
                {
                    History(createdBy, emptyLayer: true);
                }
                break;
        }
    }

    /// <summary>The stage as the next layer step finds it; the layers are a copy, which the step's output does not change.</summary>
    private StepInput Input => new(_state.Config, [.. _layers], _key, _state.Variables, new StageNames(graph, Stage.Index));

    /// <summary>Runs a layer step (through <see cref="StepRunner"/>, numbered as the next step) and applies its output.</summary>
    private async Task LayerStepAsync(Instruction instruction, Func<StepContext, CancellationToken, Task<StepOutput>> step, CancellationToken cancellationToken)
    {
        var display = $"[{session.DisplayPrefix}{Stage.DisplayName} {++_step}/{StepCount}] {FirstLine(instruction)}";
        var output = await StepRunner.RunAsync(session, display, context => step(context, cancellationToken), cancellationToken).ConfigureAwait(false);
        // The step's layer (none when it changed nothing) and history, under its cache key.
        _key = output.StageKey;
        _steps.Add(new CacheStep(output.CacheKey, output.Record.Layer, output.Record.DiffId, output.CreatedBy));
        if (output.Record.Layer is { } layer && output.Record.DiffId is { } diffId)
        {
            _layers.Add(new StoredLayer(session.Store, layer, diffId));
            _image = _image with { RootFs = RootFs.Layers([.. _image.RootFs.DiffIds, diffId]) };
        }
        History(output.CreatedBy, emptyLayer: output.Record.Layer is null, output.Record.Layer is null ? null : output.Record.Created);
    }

    // As in BuildKit's frontend, an entry's time is SOURCE_DATE_EPOCH or none: a layer's comes from when the layer was
    // made (the cache record), the rest are filled in when the image is written (HistoryTimes).
    private void History(string createdBy, bool emptyLayer, DateTimeOffset? layerCreated = null) =>
        _history.Add(new HistoryEntry
        {
            Created = (session.Request.SourceDateEpoch ?? layerCreated) is { } created ? created : null,
            CreatedBy = createdBy,
            Comment = emptyLayer ? null : "buildkit.dockerfile.v0",
            EmptyLayer = emptyLayer,
        });

    private static string FirstLine(Instruction instruction) => instruction.Syntax.Original.Split('\n')[0].Trim();
}
