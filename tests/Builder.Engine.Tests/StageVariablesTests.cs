using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Shell;
using Builder.Engine.Semantics;

namespace Builder.Engine.Tests;

/// <summary>
/// The ARG and ENV scope of a stage as BuildKit's dockerfile2llb keeps it: one environment that ENV and ARG both set
/// (the last one set wins), the config's Env apart from it, and a stage based on a stage starting from its variables.
/// </summary>
public sealed class StageVariablesTests
{
    private const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static StageVariables Variables(Dictionary<string, string>? buildArgs = null, Dictionary<string, string>? global = null, params string[] imageEnv)
    {
        var variables = new StageVariables(buildArgs ?? [], global ?? [], new ShellLexer(), []);
        variables.ApplyImageEnv(imageEnv.Length > 0 ? imageEnv : [DefaultPath]);
        return variables;
    }

    private static string? Value(StageVariables variables, string name) => variables.ExpansionScope.GetValueOrDefault(name);

    [Fact]
    public void Setting_a_config_Env_entry_again_replaces_it_where_it_is()
    {
        IReadOnlyList<string> env = [DefaultPath, "A=1", "B=2", "C=3"];

        env = StageVariables.SetEnvEntry(env, "A", "10");
        env = StageVariables.SetEnvEntry(env, "D", "4");
        env = StageVariables.SetEnvEntry(env, "PATH", "/opt/bin:/bin");

        Assert.Equal(["PATH=/opt/bin:/bin", "A=10", "B=2", "C=3", "D=4"], env);
    }

    [Fact]
    public void A_config_Env_entry_is_found_by_its_whole_name()
    {
        IReadOnlyList<string> env = ["AB=1", "A", "A_B=2"];

        Assert.Equal(["AB=1", "A=x", "A_B=2"], StageVariables.SetEnvEntry(env, "A", "x"));
        Assert.True(StageVariables.HasEnvEntry(env, "A"));
        Assert.False(StageVariables.HasEnvEntry(env, "PATH"));
    }

    [Fact]
    public void The_RUN_environment_has_a_variable_set_again_at_its_end_as_llb_state_does()
    {
        var variables = Variables(imageEnv: [DefaultPath, "A=1", "B=2"]);

        variables.SetEnv("A", "10");
        variables.Declare(new ArgDeclaration("C", "3"));

        Assert.Equal([DefaultPath, "B=2", "A=10", "C=3"], variables.RunEnvironment());
    }

    [Fact]
    public void An_ARG_with_a_value_after_ENV_overrides_it_and_an_ENV_after_an_ARG_overrides_that()
    {
        var variables = Variables(new Dictionary<string, string> { ["B"] = "given" });
        variables.SetEnv("A", "env");
        variables.SetEnv("B", "env");
        variables.Declare(new ArgDeclaration("A", "arg"));
        variables.Declare(new ArgDeclaration("B", null));
        variables.Declare(new ArgDeclaration("C", "arg"));
        variables.SetEnv("C", "env");

        Assert.Equal(("arg", "given", "env"), (Value(variables, "A"), Value(variables, "B"), Value(variables, "C")));
        Assert.Equal("arg|given|env", variables.Expand("$A|$B|$C"));
    }

    [Fact]
    public void An_ARG_without_a_value_leaves_what_ENV_set()
    {
        var variables = Variables();
        variables.SetEnv("C", "3");

        Assert.Null(variables.Declare(new ArgDeclaration("C", null)));
        Assert.Equal("3", Value(variables, "C"));
    }

    [Fact]
    public void An_ARG_takes_the_build_argument_then_its_default_then_the_global_value()
    {
        var variables = Variables(new Dictionary<string, string> { ["GIVEN"] = "build-arg" }, new Dictionary<string, string> { ["GLOBAL"] = "global", ["GIVEN"] = "g" });

        Assert.Equal("build-arg", variables.Declare(new ArgDeclaration("GIVEN", "default")));
        Assert.Equal("default", variables.Declare(new ArgDeclaration("GLOBAL", "default")));
        Assert.Equal("global", variables.Declare(new ArgDeclaration("GLOBAL", null)));
        Assert.Null(variables.Declare(new ArgDeclaration("NONE", null)));
        Assert.DoesNotContain(variables.RunEnvironment(), e => e.StartsWith("NONE=", StringComparison.Ordinal));
    }

    [Fact]
    public void A_default_sees_the_ARGs_declared_before_it_in_the_same_instruction()
    {
        var variables = Variables();
        var bound = Binder.Bind(Dockerfile.Syntax.DockerfileParser.Parse("FROM scratch\nARG A=1 B=${A}-2\n"));

        foreach (var declaration in ((ArgInstruction)bound.Stages[0].Instructions[0]).Args)
        {
            variables.Declare(declaration);
        }

        Assert.Equal("1-2", Value(variables, "B"));
    }

    [Fact]
    public void An_ARG_name_is_used_as_written_as_current_BuildKit_does()
    {
        // dockerfile2llb stopped expanding stage ARGs in the generic pass (moby/buildkit 47a52a17, dockerfile 1.8):
        // the default is expanded, the name is not.
        var variables = Variables();
        variables.Declare(new ArgDeclaration("name", "dyn"));
        var bound = Binder.Bind(Dockerfile.Syntax.DockerfileParser.Parse("FROM scratch\nARG ${name}=value\n"));
        var declaration = ((ArgInstruction)bound.Stages[0].Instructions[0]).Args[0];

        variables.Declare(declaration);

        Assert.Equal("${name}", declaration.Name);
        Assert.Equal("value", Value(variables, "${name}"));
        Assert.Null(Value(variables, "dyn"));
    }

    [Fact]
    public void A_stage_based_on_a_stage_starts_from_its_ARG_values()
    {
        var parent = Variables(global: new Dictionary<string, string> { ["G"] = "global" });
        parent.Declare(new ArgDeclaration("X", "from-parent"));
        parent.Declare(new ArgDeclaration("G", null));
        parent.Declare(new ArgDeclaration("Y", "from-parent"));

        var child = parent.Derive();
        child.ApplyImageEnv([DefaultPath]);

        Assert.Equal("from-parent|global", child.Expand("${X}|${G}"));
        Assert.Null(child.Declare(new ArgDeclaration("X", null)));
        Assert.Equal("from-parent", Value(child, "X"));
        Assert.Contains("Y=from-parent", child.RunEnvironment());
        Assert.Equal(["X", "G", "Y"], child.ArgsWithValues.Select(a => a.Key));
    }

    [Fact]
    public void A_redeclared_ARG_with_a_global_value_or_a_build_argument_takes_that_over_the_parents()
    {
        var parent = Variables(new Dictionary<string, string> { ["B"] = "build-arg" }, new Dictionary<string, string> { ["G"] = "global" });
        parent.Declare(new ArgDeclaration("G", "parent"));
        parent.Declare(new ArgDeclaration("B", null));
        var child = parent.Derive();
        child.ApplyImageEnv([DefaultPath]);

        child.Declare(new ArgDeclaration("G", null));

        Assert.Equal("global|build-arg", child.Expand("$G|$B"));
    }

    [Fact]
    public void The_child_stage_config_Env_is_set_over_the_parents_ARG_values()
    {
        var parent = Variables();
        parent.SetEnv("X", "env");
        parent.Declare(new ArgDeclaration("X", "arg"));
        Assert.Equal("arg", Value(parent, "X"));

        var child = parent.Derive();
        child.ApplyImageEnv([DefaultPath, "X=env"]);

        Assert.Equal("env", Value(child, "X"));
    }

    [Fact]
    public void Deriving_leaves_the_parent_as_it_was()
    {
        var parent = Variables();
        parent.Declare(new ArgDeclaration("X", "1"));
        var child = parent.Derive();

        child.Declare(new ArgDeclaration("X", "2"));
        child.SetEnv("Y", "3");

        Assert.Equal(("1", null), (Value(parent, "X"), Value(parent, "Y")));
    }

    [Fact]
    public void RUN_history_lists_each_ARG_once_with_its_current_value()
    {
        var variables = Variables();
        variables.Declare(new ArgDeclaration("A", "1"));
        variables.Declare(new ArgDeclaration("UNSET", null));
        variables.SetEnv("A", "env");
        variables.Declare(new ArgDeclaration("A", null));

        Assert.Equal([new("A", "env"), new("UNSET", "")], variables.ArgsWithValues);
    }

    [Fact]
    public void Proxy_build_arguments_reach_RUN_unless_the_stage_sets_them()
    {
        var variables = Variables(new Dictionary<string, string> { ["http_proxy"] = "http://proxy:3128", ["no_proxy"] = "x" });
        variables.SetEnv("no_proxy", "y");

        var env = variables.RunEnvironment();

        Assert.Contains("http_proxy=http://proxy:3128", env);
        Assert.Contains("no_proxy=y", env);
        Assert.DoesNotContain("no_proxy=x", env);
    }
}
