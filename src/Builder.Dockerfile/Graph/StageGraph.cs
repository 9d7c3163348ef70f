using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Shell;
using Builder.Dockerfile.Syntax;

namespace Builder.Dockerfile.Graph;

/// <summary>Where a stage starts from: an earlier stage, an image, or nothing (<c>scratch</c>).</summary>
public abstract record StageBase;

public sealed record BaseStage(int StageIndex) : StageBase;

public sealed record BaseImage(string Reference) : StageBase;

public sealed record BaseScratch : StageBase;

/// <summary>A file source of a stage: <c>COPY --from</c> or <c>RUN --mount from=</c>, naming a stage or an image.</summary>
public sealed record StageSource(Instruction Instruction, int? StageIndex, string? Image);

/// <summary>One stage with its base and sources resolved (ARGs expanded).</summary>
public sealed record StageNode(Stage Stage, StageBase Base, string? Platform, IReadOnlyList<StageSource> Sources)
{
    /// <summary>The stages this one needs built first.</summary>
    public IEnumerable<int> StageDependencies =>
        (Base is BaseStage b ? [b.StageIndex] : Enumerable.Empty<int>())
            .Concat(Sources.Where(s => s.StageIndex is not null).Select(s => s.StageIndex!.Value))
            .Distinct();
}

/// <summary>The options a build gives the graph: build arguments, the target stage, the platform ARGs.</summary>
public sealed record StageGraphOptions(
    IReadOnlyDictionary<string, string>? BuildArgs = null,
    string? Target = null,
    IReadOnlyDictionary<string, string>? PlatformArgs = null);

/// <summary>
/// The stages of a Dockerfile as a DAG: global ARGs evaluated, FROM and <c>--from</c> references resolved
/// to stages or images, the stages the target needs, and which of them can run in parallel.
/// </summary>
public sealed record StageGraph(
    BoundDockerfile Dockerfile,
    IReadOnlyDictionary<string, string> GlobalArgs,
    IReadOnlyList<StageNode> Stages,
    int Target)
{
    /// <summary>The indexes of the stages the target needs, itself included, in Dockerfile order.</summary>
    public IReadOnlyList<int> Reachable { get; } = ComputeReachable(Stages, Target);

    /// <summary>
    /// The needed stages in waves: each wave depends only on earlier waves, so the stages within one wave
    /// can be built at the same time.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<int>> Waves => ComputeWaves(Stages, Reachable);

    public static StageGraph Build(BoundDockerfile dockerfile, StageGraphOptions? options = null)
    {
        options ??= new StageGraphOptions();
        var builder = new GraphBuilder(dockerfile, options);
        var stages = builder.ResolveStages();
        var target = builder.FindTarget(options.Target);
        builder.CheckCycles(stages);
        return new StageGraph(dockerfile, builder.GlobalArgs, stages, target);
    }

    private static IReadOnlyList<int> ComputeReachable(IReadOnlyList<StageNode> stages, int target)
    {
        var seen = new HashSet<int>();
        var pending = new Stack<int>([target]);
        while (pending.TryPop(out var index))
        {
            if (seen.Add(index))
            {
                foreach (var dependency in stages[index].StageDependencies)
                {
                    pending.Push(dependency);
                }
            }
        }
        return seen.Order().ToList();
    }

    private static IReadOnlyList<IReadOnlyList<int>> ComputeWaves(IReadOnlyList<StageNode> stages, IReadOnlyList<int> reachable)
    {
        var wave = new Dictionary<int, int>();
        int WaveOf(int index) => wave.TryGetValue(index, out var w)
            ? w
            : wave[index] = stages[index].StageDependencies.Select(d => WaveOf(d) + 1).DefaultIfEmpty(0).Max();
        return reachable.GroupBy(WaveOf).OrderBy(g => g.Key).Select(g => (IReadOnlyList<int>)g.ToList()).ToList();
    }

    private sealed class GraphBuilder
    {
        private readonly BoundDockerfile _dockerfile;
        private readonly StageGraphOptions _options;
        private readonly ShellLexer _lexer;
        private readonly Dictionary<string, string> _global;

        public GraphBuilder(BoundDockerfile dockerfile, StageGraphOptions options)
        {
            _dockerfile = dockerfile;
            _options = options;
            _lexer = new ShellLexer(dockerfile.Syntax.EscapeChar);
            _global = new Dictionary<string, string>(options.PlatformArgs ?? new Dictionary<string, string>());
            foreach (var arg in dockerfile.GlobalArgs)
            {
                foreach (var declaration in arg.Args)
                {
                    Declare(_global, declaration, arg, inherited: null);
                }
            }
        }

        public IReadOnlyDictionary<string, string> GlobalArgs => _global;

        private IReadOnlyDictionary<string, string> BuildArgs => _options.BuildArgs ?? new Dictionary<string, string>();

        private string FileName => _dockerfile.Syntax.FileName;

        private DockerfileException Error(TextSpan? span, string reason) => new(FileName, span, reason);

        /// <summary>An ARG takes the build argument if given, else its default, else (in a stage) the global value.</summary>
        private void Declare(Dictionary<string, string> scope, ArgDeclaration declaration, Instruction at, IReadOnlyDictionary<string, string>? inherited)
        {
            if (BuildArgs.TryGetValue(declaration.Name, out var given))
            {
                scope[declaration.Name] = given;
            }
            else if (declaration.Default is { } value)
            {
                scope[declaration.Name] = Expand(value, scope, at);
            }
            else if (inherited is not null && inherited.TryGetValue(declaration.Name, out var global))
            {
                scope[declaration.Name] = global;
            }
        }

        private string Expand(string word, IReadOnlyDictionary<string, string> scope, Instruction at)
        {
            try
            {
                return _lexer.ProcessWord(word, scope).Value;
            }
            catch (ShellExpansionException e)
            {
                throw Error(at.Span, e.Message);
            }
        }

        public List<StageNode> ResolveStages()
        {
            var nodes = new List<StageNode>();
            foreach (var stage in _dockerfile.Stages)
            {
                var from = stage.From;
                var image = Expand(from.Image, _global, from);
                if (image.Length == 0)
                {
                    throw Error(from.Syntax.Arguments[0].Span, $"base name ({from.Image}) should not be blank");
                }
                var platform = from.Platform is { } p ? Expand(p, _global, from) : null;
                nodes.Add(new StageNode(stage, ResolveBase(stage, image), platform, ResolveSources(stage)));
            }
            return nodes;
        }

        private StageBase ResolveBase(Stage stage, string image)
        {
            if (image == "scratch")
            {
                return new BaseScratch();
            }
            var earlier = _dockerfile.Stages.Take(stage.Index).LastOrDefault(s => NameIs(s, image));
            if (earlier is not null)
            {
                return new BaseStage(earlier.Index);
            }
            var later = _dockerfile.Stages.Skip(stage.Index).FirstOrDefault(s => NameIs(s, image));
            if (later is not null)
            {
                throw Error(stage.From.Syntax.Arguments[0].Span,
                    $"FROM {image}: stage \"{later.Name}\" is defined later (line {later.From.Span.Start.Line}); a stage can only start from an earlier one");
            }
            return new BaseImage(image);
        }

        private static bool NameIs(Stage stage, string name) => string.Equals(stage.Name, name, StringComparison.OrdinalIgnoreCase);

        private List<StageSource> ResolveSources(Stage stage)
        {
            var scope = new Dictionary<string, string>();
            var sources = new List<StageSource>();
            foreach (var instruction in stage.Instructions)
            {
                switch (instruction)
                {
                    case ArgInstruction arg:
                        foreach (var declaration in arg.Args)
                        {
                            Declare(scope, declaration, arg, _global);
                        }
                        break;
                    case EnvInstruction env:
                        foreach (var variable in env.Variables)
                        {
                            scope[variable.Key] = Expand(variable.Value, scope, env);
                        }
                        break;
                    case CopyInstruction { From: { } from } copy:
                        sources.Add(ResolveSource(stage, copy, $"COPY --from={from}", Expand(from, scope, copy)));
                        break;
                    case RunInstruction run:
                        foreach (var raw in run.Mounts)
                        {
                            RunMount mount;
                            try
                            {
                                mount = RunMount.Parse(Expand(raw, scope, run));
                            }
                            catch (FormatException e)
                            {
                                throw Error(run.Span, e.Message);
                            }
                            if (mount.From is { } mountFrom)
                            {
                                sources.Add(ResolveSource(stage, run, $"RUN --mount from={mountFrom}", mountFrom));
                            }
                        }
                        break;
                }
            }
            return sources;
        }

        /// <summary>A stage index, a stage name (the last stage of that name, as BuildKit), or an image.</summary>
        private StageSource ResolveSource(Stage stage, Instruction instruction, string what, string reference)
        {
            if (reference.Length == 0)
            {
                throw Error(instruction.Span, $"{what}: the stage or image name is empty");
            }
            if (reference.All(char.IsAsciiDigit))
            {
                var index = int.TryParse(reference, out var i) ? i : int.MaxValue;
                return index < _dockerfile.Stages.Count
                    ? new StageSource(instruction, index, null)
                    : throw Error(instruction.Span, $"{what}: there is no stage {reference} (stages are numbered 0 to {_dockerfile.Stages.Count - 1})");
            }
            var named = _dockerfile.Stages.LastOrDefault(s => NameIs(s, reference));
            return named is not null ? new StageSource(instruction, named.Index, null) : new StageSource(instruction, null, reference);
        }

        public int FindTarget(string? target)
        {
            if (string.IsNullOrEmpty(target))
            {
                return _dockerfile.Stages.Count - 1;
            }
            var stage = _dockerfile.Stages.LastOrDefault(s => NameIs(s, target));
            return stage?.Index ?? throw Error(null,
                $"target stage \"{target}\" could not be found (stages: {Text.ShortList.Join(", ", _dockerfile.Stages.Select(s => s.DisplayName))})");
        }

        public void CheckCycles(IReadOnlyList<StageNode> stages)
        {
            var state = new int[stages.Count]; // 0 unvisited, 1 on the current path, 2 done
            foreach (var node in stages)
            {
                Visit(node.Stage.Index);
            }

            void Visit(int index)
            {
                if (state[index] == 2)
                {
                    return;
                }
                state[index] = 1;
                var node = stages[index];
                var edges = node.Sources.Where(s => s.StageIndex is not null).Select(s => (s.StageIndex!.Value, (Instruction)s.Instruction));
                if (node.Base is BaseStage b)
                {
                    edges = edges.Prepend((b.StageIndex, node.Stage.From));
                }
                foreach (var (dependency, instruction) in edges)
                {
                    if (state[dependency] == 1)
                    {
                        var name = stages[dependency].Stage.Name ?? $"stage-{dependency}";
                        throw Error(instruction.Span, $"circular dependency detected on stage: {name}");
                    }
                    Visit(dependency);
                }
                state[index] = 2;
            }
        }
    }
}
