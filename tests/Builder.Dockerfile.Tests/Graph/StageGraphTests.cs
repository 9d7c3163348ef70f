using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Graph;
using Builder.Dockerfile.Syntax;

namespace Builder.Dockerfile.Tests.Graph;

public sealed class StageGraphTests
{
    private static StageGraph Graph(string text, StageGraphOptions? options = null) =>
        StageGraph.Build(Binder.Bind(DockerfileParser.Parse(text)), options);

    private static DockerfileException Fails(string text, StageGraphOptions? options = null) =>
        Assert.Throws<DockerfileException>(() => Graph(text, options));

    [Fact]
    public void Global_args_expand_in_from_and_build_args_override_their_defaults()
    {
        const string text = "ARG REPO=library\nARG TAG=1.0\nFROM ${REPO}/app:${TAG} AS app\n";

        Assert.Equal(new BaseImage("library/app:1.0"), Graph(text).Stages[0].Base);
        var overridden = Graph(text, new StageGraphOptions(new Dictionary<string, string> { ["TAG"] = "2.0" }));
        Assert.Equal(new BaseImage("library/app:2.0"), overridden.Stages[0].Base);
    }

    [Fact]
    public void Global_arg_defaults_see_earlier_global_args_and_platform_args()
    {
        var graph = Graph("ARG ARCH=${TARGETARCH}\nFROM --platform=$BUILDPLATFORM img-${ARCH}\n",
            new StageGraphOptions(PlatformArgs: new Dictionary<string, string> { ["TARGETARCH"] = "arm64", ["BUILDPLATFORM"] = "linux/amd64" }));

        Assert.Equal(new BaseImage("img-arm64"), graph.Stages[0].Base);
        Assert.Equal("linux/amd64", graph.Stages[0].Platform);
    }

    [Fact]
    public void From_an_earlier_stage_name_is_case_insensitive_and_scratch_is_empty()
    {
        var graph = Graph("FROM scratch AS Base\nFROM BASE\n");

        Assert.IsType<BaseScratch>(graph.Stages[0].Base);
        Assert.Equal(new BaseStage(0), graph.Stages[1].Base);
    }

    [Fact]
    public void From_naming_a_later_stage_is_an_error()
    {
        var error = Fails("FROM later AS first\nRUN true\nFROM alpine AS later\n");

        Assert.Equal("Dockerfile:1:6: FROM later: stage \"later\" is defined later (line 3); a stage can only start from an earlier one", error.Message);
    }

    [Fact]
    public void Copy_from_resolves_stage_names_indexes_and_images()
    {
        var graph = Graph("FROM a AS one\nFROM b\nCOPY --from=one /x /x\nCOPY --from=0 /y /y\nCOPY --from=nginx:1.27 /z /z\n");

        var sources = graph.Stages[1].Sources;
        Assert.Equal([0, 0, null], sources.Select(s => s.StageIndex));
        Assert.Equal("nginx:1.27", sources[2].Image);
    }

    [Fact]
    public void Copy_from_expands_stage_args()
    {
        var graph = Graph("ARG SRC=one\nFROM a AS one\nFROM a AS two\nFROM b\nARG SRC\nCOPY --from=$SRC /x /x\n",
            new StageGraphOptions(new Dictionary<string, string> { ["SRC"] = "two" }));

        Assert.Equal(1, Assert.Single(graph.Stages[2].Sources).StageIndex);
    }

    [Fact]
    public void Run_mount_from_is_a_stage_dependency()
    {
        var graph = Graph("FROM a AS deps\nFROM b\nRUN --mount=type=bind,from=deps,target=/deps ls /deps\n");

        Assert.Equal([0, 1], graph.Reachable);
        Assert.Equal(0, Assert.Single(graph.Stages[1].Sources).StageIndex);
    }

    [Fact]
    public void An_index_past_the_last_stage_is_an_error()
    {
        var error = Fails("FROM a\nFROM b\nCOPY --from=5 /x /x\n");

        Assert.Equal("Dockerfile:3:1: COPY --from=5: there is no stage 5 (stages are numbered 0 to 1)", error.Message);
    }

    [Fact]
    public void A_stage_copying_from_itself_or_a_cycle_is_an_error()
    {
        Assert.Equal("Dockerfile:2:1: circular dependency detected on stage: stage0",
            Fails("FROM busybox AS stage0\nCOPY --from=stage0 f1 /sub/\n").Message);
        Assert.Contains("circular dependency detected on stage",
            Fails("FROM busybox AS stage0\nCOPY --from=stage2 f1 /sub/\nFROM busybox AS stage1\nCOPY --from=stage0 f2 /sub/\nFROM busybox AS stage2\nCOPY --from=stage1 f2 /sub/\n").Message);
    }

    [Fact]
    public void Target_prunes_stages_it_does_not_need()
    {
        const string text = "FROM a AS build\nFROM b AS test\nCOPY --from=build /x /x\nFROM c AS lint\nFROM d AS prod\nCOPY --from=build /x /x\n";

        Assert.Equal([0, 3], Graph(text).Reachable);
        Assert.Equal([0, 1], Graph(text, new StageGraphOptions(Target: "TEST")).Reachable);
        Assert.Equal([2], Graph(text, new StageGraphOptions(Target: "lint")).Reachable);
    }

    [Fact]
    public void An_unknown_target_is_an_error_listing_the_stages()
    {
        var error = Fails("FROM a AS build\nFROM b\n", new StageGraphOptions(Target: "prod"));

        Assert.Equal("Dockerfile: target stage \"prod\" could not be found (stages: build, 1)", error.Message);
    }

    [Fact]
    public void Independent_stages_share_a_wave()
    {
        var graph = Graph("FROM a AS deps\nFROM b AS assets\nFROM c AS app\nCOPY --from=deps / /\nCOPY --from=assets / /\nFROM app AS final\n");

        Assert.Equal([[0, 1], [2], [3]], graph.Waves);
    }

    [Fact]
    public void Empty_base_after_expansion_is_an_error()
    {
        Assert.Equal("Dockerfile:2:6: base name (${IMAGE}) should not be blank", Fails("ARG IMAGE\nFROM ${IMAGE}\n").Message);
    }
}
