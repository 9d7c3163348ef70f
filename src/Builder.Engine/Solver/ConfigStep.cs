using Builder.Dockerfile.Binding;
using Builder.Engine.Semantics;
using Builder.Engine.Solver.ConfigSteps;
using Builder.Oci.Images;

namespace Builder.Engine.Solver;

/// <summary>
/// What a config instruction reads and changes of its stage: the image config, the image's author, the stage's
/// variables (every instruction expands its words with them; ARG and ENV set them) and whether this stage has set CMD
/// (an ENTRYPOINT drops only an inherited one).
/// </summary>
internal sealed record ConfigState(ContainerConfig Config, string? Author, StageVariables Variables, bool CmdSet)
{
    /// <summary>The shell of shell-form commands: SHELL's, else <c>/bin/sh -c</c>.</summary>
    public IReadOnlyList<string> Shell => Config.Shell is { Count: > 0 } shell ? shell : ["/bin/sh", "-c"];
}

/// <summary>
/// What a config step made: the stage's new state and its history text (null: no entry, as ONBUILD adds none). The
/// entry is an empty layer's unless <paramref name="EmptyLayer"/> is false: then a layer step follows and records it
/// (WORKDIR of any path but "/", whose mkdir is a <see cref="WorkdirStep"/>).
/// </summary>
internal sealed record ConfigOutput(ConfigState State, string? CreatedBy, bool EmptyLayer = true);

/// <summary>
/// An instruction that changes the image config or the stage's variables and no files: a function of its input alone,
/// so it needs no cache and reports no progress. It never changes its input; a step that sets variables returns a
/// copy with them set (<see cref="ConfigState.Variables"/> of its output).
/// </summary>
internal abstract class ConfigStep
{
    public abstract ConfigOutput Apply(ConfigState input);

    /// <summary>The step of a config instruction (for WORKDIR, its config part); null for RUN, COPY and ADD.</summary>
    public static ConfigStep? For(Instruction instruction) => instruction switch
    {
        ArgInstruction arg => new ArgStep(arg),
        EnvInstruction env => new EnvStep(env),
        LabelInstruction label => new LabelStep(label),
        ExposeInstruction expose => new ExposeStep(expose),
        VolumeInstruction volume => new VolumeStep(volume),
        StopSignalInstruction stop => new StopSignalStep(stop),
        UserInstruction user => new UserStep(user),
        MaintainerInstruction maintainer => new MaintainerStep(maintainer),
        WorkdirInstruction workdir => new WorkdirConfigStep(workdir),
        ShellInstruction shell => new ShellStep(shell),
        CmdInstruction cmd => new CmdStep(cmd),
        EntrypointInstruction entrypoint => new EntrypointStep(entrypoint),
        HealthcheckInstruction health => new HealthcheckStep(health),
        OnbuildInstruction onbuild => new OnbuildStep(onbuild),
        _ => null,
    };
}
