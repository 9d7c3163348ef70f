using Builder.Oci.Images;

namespace Builder.Engine.Tests;

/// <summary>
/// The image config BuildKit gives Dockerfiles of config instructions only (no RUN, no files): built by the engine into
/// a store in a temporary directory, without root, a runtime or a registry.
/// </summary>
public sealed class ConfigInstructionTests : IDisposable
{
    private const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private readonly TestEngine _engine = new();

    public void Dispose() => _engine.Dispose();

    private async Task<ContainerConfig> BuildAsync(string dockerfile, Dictionary<string, string>? buildArgs = null, string? target = null) =>
        (await _engine.BuildAsync(dockerfile, target, buildArgs)).Image.Config!;

    [Fact]
    public async Task A_scratch_stage_has_BuildKits_empty_config_the_default_PATH_and_WorkingDir_root()
    {
        var config = await BuildAsync("FROM scratch\nLABEL a=b\n");

        Assert.Equal([DefaultPath], config.Env);
        Assert.Equal("/", config.WorkingDir);
    }

    [Fact]
    public async Task A_stage_based_on_a_scratch_stage_keeps_its_WorkingDir()
    {
        var config = await BuildAsync("FROM scratch AS base\nENV A=1\nFROM base\nLABEL a=b\n");

        Assert.Equal([DefaultPath, "A=1"], config.Env);
        Assert.Equal("/", config.WorkingDir);
    }

    [Fact]
    public async Task ENV_of_a_variable_already_set_replaces_it_where_it_is()
    {
        var config = await BuildAsync("FROM scratch\nENV A=1 B=2 C=3\nENV A=10 PATH=/opt/bin:$PATH\nENV D=4 B=20\n");

        Assert.Equal(["PATH=/opt/bin:" + DefaultPath[5..], "A=10", "B=20", "C=3", "D=4"], config.Env);
    }

    [Fact]
    public async Task ENV_names_are_words_unquoted_and_expanded_in_both_forms()
    {
        var config = await BuildAsync("FROM scratch\nARG name=dyn\nENV \"KEY\"=\"v 1\" 'K2'=v2 K_${name}=v3\nENV \"LEG\" legacy value\n");

        Assert.Equal([DefaultPath, "KEY=v 1", "K2=v2", "K_dyn=v3", "LEG=legacy value"], config.Env);
    }

    [Fact]
    public async Task LABEL_names_are_words_unquoted_and_expanded()
    {
        var config = await BuildAsync("FROM scratch\nARG name=dyn\nLABEL \"com.example.key\"=a 'single'=b lab_${name}=c \"sp ace\"=d\n");

        Assert.Equal(new Dictionary<string, string> { ["com.example.key"] = "a", ["single"] = "b", ["lab_dyn"] = "c", ["sp ace"] = "d" }, config.Labels);
    }

    [Fact]
    public async Task ENV_pairs_of_one_instruction_expand_with_the_variables_before_it()
    {
        var config = await BuildAsync("FROM scratch\nENV A=old\nENV A=new B=$A\n");

        Assert.Equal([DefaultPath, "A=new", "B=old"], config.Env);
    }

    [Fact]
    public async Task An_ARG_after_an_ENV_of_the_same_name_wins_in_expansion_but_never_reaches_the_config()
    {
        var config = await BuildAsync("FROM scratch\nENV V=env\nARG V=arg\nLABEL v=$V\n");

        Assert.Equal([DefaultPath, "V=env"], config.Env);
        Assert.Equal("arg", config.Labels!["v"]);
    }

    [Fact]
    public async Task A_stage_based_on_a_stage_sees_its_ARG_values_redeclared_or_not()
    {
        const string dockerfile = """
            ARG G=global
            FROM scratch AS base
            ARG X=from-parent
            ARG G
            ARG Z
            FROM base AS redeclared
            ARG X
            ARG Z
            LABEL x=$X g=$G z=${Z:-unset}
            FROM base
            LABEL x=${X:-unset} g=${G:-unset} z=${Z:-unset}
            """;

        var redeclared = await BuildAsync(dockerfile, new Dictionary<string, string> { ["Z"] = "given" }, target: "redeclared");
        var inherited = await BuildAsync(dockerfile);

        Assert.Equal(new Dictionary<string, string> { ["x"] = "from-parent", ["g"] = "global", ["z"] = "given" }, redeclared.Labels);
        Assert.Equal(new Dictionary<string, string> { ["x"] = "from-parent", ["g"] = "global", ["z"] = "unset" }, inherited.Labels);
        Assert.Equal([DefaultPath], inherited.Env);
    }

    [Fact]
    public async Task A_stage_based_on_a_stage_has_its_config_Env_set_over_the_parents_ARG_values()
    {
        var config = await BuildAsync("FROM scratch AS base\nENV X=env\nARG X=arg\nLABEL parent=$X\nFROM base\nLABEL child=$X\n");

        Assert.Equal(("arg", "env"), (config.Labels!["parent"], config.Labels["child"]));
    }
}
