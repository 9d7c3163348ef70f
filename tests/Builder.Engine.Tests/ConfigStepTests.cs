using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Shell;
using Builder.Dockerfile.Syntax;
using Builder.Engine.Semantics;
using Builder.Engine.Solver;
using Builder.Oci.Images;

namespace Builder.Engine.Tests;

/// <summary>
/// Config steps as the functions they are: a <see cref="ConfigState"/> in, the new state and the history text out,
/// the input left as it was (ARG and ENV set a copy of the variables).
/// </summary>
public sealed class ConfigStepTests
{
    private const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    [Fact]
    public void ARG_sets_the_outputs_variables_and_leaves_the_inputs_as_they_were()
    {
        var input = State();

        var output = Apply(input, "ARG A=1 B=$A C");

        Assert.Equal("ARG A=1 B=1 C", output.CreatedBy);
        Assert.Equal([new("A", "1"), new("B", "1"), new("C", "")], output.State.Variables.ArgsWithValues);
        Assert.Empty(input.Variables.ArgsWithValues);
        Assert.Equal([DefaultPath], output.State.Config.Env);
        Assert.Equal(input.Config, output.State.Config);
    }

    [Fact]
    public void ENV_expands_with_the_variables_before_it_and_sets_the_config_and_a_copy_of_the_variables()
    {
        var input = State(new ContainerConfig { Env = [DefaultPath, "A=old"] });

        var output = Apply(input, "ENV A=new B=$A");

        Assert.Equal("ENV A=new B=old", output.CreatedBy);
        Assert.Equal([DefaultPath, "A=new", "B=old"], output.State.Config.Env);
        Assert.Equal(("new", "old"), (output.State.Variables.Expand("$A"), output.State.Variables.Expand("$B")));
        Assert.Equal(("old", ""), (input.Variables.Expand("$A"), input.Variables.Expand("$B")));
        Assert.Equal([DefaultPath, "A=old"], input.Config.Env);
    }

    [Fact]
    public void LABEL_and_EXPOSE_add_to_what_the_config_has()
    {
        var input = State(new ContainerConfig { Labels = new Dictionary<string, string> { ["a"] = "1" }, ExposedPorts = ["80/tcp"] });

        var labelled = Apply(input, "LABEL b=2 a=3");
        var exposed = Apply(input, "EXPOSE 443 80 8000-8001/UDP");

        Assert.Equal(new Dictionary<string, string> { ["a"] = "3", ["b"] = "2" }, labelled.State.Config.Labels);
        Assert.Equal("LABEL b=2 a=3", labelled.CreatedBy);
        Assert.Equal(["80/tcp", "443/tcp", "8000/udp", "8001/udp"], exposed.State.Config.ExposedPorts);
        Assert.Equal("EXPOSE map[443/tcp:{} 80/tcp:{} 8000/udp:{} 8001/udp:{}]", exposed.CreatedBy);
    }

    [Fact]
    public void Invalid_values_are_build_errors()
    {
        // Literal values are checked when the Dockerfile is bound; expanded ones only here.
        var input = Apply(State(), "ARG EMPTY= SIGNAL=NOPE").State;

        Assert.Equal("VOLUME specified can not be an empty string", Assert.Throws<BuildException>(() => Apply(input, "VOLUME /data $EMPTY")).Message);
        Assert.Equal("invalid signal: NOPE", Assert.Throws<BuildException>(() => Apply(input, "STOPSIGNAL $SIGNAL")).Message);
    }

    [Fact]
    public void VOLUME_STOPSIGNAL_USER_and_MAINTAINER_are_expanded()
    {
        var input = Apply(State(), "ARG X=x").State;

        var volume = Apply(input, "VOLUME /a /$X");
        Assert.Equal(["/a", "/x"], volume.State.Config.Volumes);
        Assert.Equal("VOLUME [/a /x]", volume.CreatedBy);
        Assert.Equal(("SIGTERM", "STOPSIGNAL SIGTERM"), Config(Apply(input, "STOPSIGNAL SIG${X:+TERM}"), c => c.StopSignal));
        Assert.Equal(("x:x", "USER x:x"), Config(Apply(input, "USER $X:$X"), c => c.User));
        var maintained = Apply(input, "MAINTAINER me <$X@example.com>");
        Assert.Equal(("me <x@example.com>", "MAINTAINER me <x@example.com>"), (maintained.State.Author, maintained.CreatedBy));
    }

    [Fact]
    public void CMD_and_ENTRYPOINT_use_the_SHELL_and_an_ENTRYPOINT_drops_only_an_inherited_CMD()
    {
        var inherited = State(new ContainerConfig { Cmd = ["base"] });
        var shell = Apply(inherited, "SHELL [\"/bin/bash\", \"-c\"]");
        var cmd = Apply(shell.State, "CMD echo \"hi\"");

        var dropped = Apply(inherited, "ENTRYPOINT [\"/run\"]");
        var kept = Apply(cmd.State, "ENTRYPOINT /run");

        Assert.Equal("SHELL [/bin/bash -c]", shell.CreatedBy);
        Assert.Equal(["/bin/bash", "-c", "echo \"hi\""], cmd.State.Config.Cmd);
        Assert.True(cmd.State.CmdSet);
        Assert.Equal("CMD [\"/bin/bash\",\"-c\",\"echo \\\"hi\\\"\"]", cmd.CreatedBy);
        Assert.Null(dropped.State.Config.Cmd);
        Assert.Equal("ENTRYPOINT [\"/run\"]", dropped.CreatedBy);
        Assert.Equal(["/bin/bash", "-c", "/run"], kept.State.Config.Entrypoint);
        Assert.Equal(cmd.State.Config.Cmd, kept.State.Config.Cmd);
    }

    [Fact]
    public void HEALTHCHECK_keeps_only_the_options_given()
    {
        var check = Apply(State(), "HEALTHCHECK --interval=5s CMD [\"check\", \"a b\"]");
        var none = Apply(State(), "HEALTHCHECK NONE");

        var healthcheck = check.State.Config.Healthcheck!;
        Assert.Equal(["CMD", "check", "a b"], healthcheck.Test);
        Assert.Equal((TimeSpan.FromSeconds(5), null, null), (healthcheck.Interval, healthcheck.Timeout, healthcheck.Retries));
        Assert.Equal("HEALTHCHECK &{[\"CMD\",\"check\",\"a b\"]}", check.CreatedBy);
        Assert.Equal(["NONE"], none.State.Config.Healthcheck!.Test);
        Assert.Equal("HEALTHCHECK NONE", none.CreatedBy);
    }

    [Fact]
    public void ONBUILD_keeps_its_trigger_and_adds_no_history()
    {
        var output = Apply(State(new ContainerConfig { OnBuild = ["LABEL a=1"] }), "ONBUILD RUN make");

        Assert.Equal(["LABEL a=1", "RUN make"], output.State.Config.OnBuild);
        Assert.Null(output.CreatedBy);
    }

    [Theory]
    [InlineData("/a/b", "WORKDIR c", "/a/b/c", false)]
    [InlineData("/a/b", "WORKDIR ../..", "/", true)]
    [InlineData("", "WORKDIR x/./y/", "/x/y", false)]
    [InlineData("/a", "WORKDIR /", "/", true)]
    public void WORKDIR_is_made_absolute_and_has_a_layer_step_unless_it_is_the_root(string current, string line, string absolute, bool emptyLayer)
    {
        var output = Apply(State(new ContainerConfig { WorkingDir = current }), line);

        Assert.Equal((absolute, "WORKDIR " + absolute, emptyLayer), (output.State.Config.WorkingDir, output.CreatedBy, output.EmptyLayer));
    }

    [Theory]
    [InlineData("LABEL a=b")]
    [InlineData("ENV A=b")]
    [InlineData("ARG A")]
    [InlineData("EXPOSE 80")]
    [InlineData("USER me")]
    [InlineData("CMD x")]
    [InlineData("SHELL [\"sh\"]")]
    public void Config_steps_other_than_WORKDIR_have_no_layer(string line) => Assert.True(Apply(State(), line).EmptyLayer);

    [Theory]
    [InlineData("RUN make")]
    [InlineData("COPY a b")]
    [InlineData("ADD a b")]
    public void RUN_COPY_and_ADD_are_no_config_steps(string line) => Assert.Null(ConfigStep.For(Parse(line)));

    private static (T, string?) Config<T>(ConfigOutput output, Func<ContainerConfig, T> field) => (field(output.State.Config), output.CreatedBy);

    private static ConfigOutput Apply(ConfigState input, string line) => ConfigStep.For(Parse(line))!.Apply(input);

    private static Instruction Parse(string line) =>
        Binder.Bind(DockerfileParser.Parse($"FROM scratch\n{line}\n", "Dockerfile")).Stages[0].Instructions.Single();

    /// <summary>A stage's state over <paramref name="config"/> (by default, a scratch stage's), its variables started from the config's Env.</summary>
    private static ConfigState State(ContainerConfig? config = null)
    {
        config ??= new ContainerConfig { Env = [DefaultPath], WorkingDir = "/" };
        var variables = new StageVariables(new Dictionary<string, string>(), new Dictionary<string, string>(), new ShellLexer(), []);
        variables.ApplyImageEnv(config.Env ?? []);
        return new ConfigState(config, null, variables, CmdSet: false);
    }
}
