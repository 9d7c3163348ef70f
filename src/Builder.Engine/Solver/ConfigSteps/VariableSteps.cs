using Builder.Dockerfile.Binding;
using Builder.Engine.Semantics;

namespace Builder.Engine.Solver.ConfigSteps;

/// <summary>
/// ARG: each name declared in turn, a default seeing the ARGs before it in the same instruction (current BuildKit). The
/// values go into the output's variables, never into the config's Env.
/// </summary>
internal sealed class ArgStep(ArgInstruction arg) : ConfigStep
{
    public override ConfigOutput Apply(ConfigState input)
    {
        var variables = Variables.Copy(input.Variables);
        var declared = arg.Args.Select(a => (a.Name, Value: variables.Declare(a))).ToList();
        return new(input with { Variables = variables },
            "ARG " + string.Join(' ', declared.Select(a => a.Value is null ? a.Name : $"{a.Name}={a.Value}")));
    }
}

/// <summary>
/// ENV: names and values are words, expanded (and unquoted) with the variables before this ENV; each pair is set in the
/// output's variables and in the config's Env, where a name already there is replaced in place.
/// </summary>
internal sealed class EnvStep(EnvInstruction env) : ConfigStep
{
    public override ConfigOutput Apply(ConfigState input)
    {
        var pairs = env.Variables.Select(v => (Key: input.Variables.Expand(v.Key), Value: input.Variables.Expand(v.Value))).ToList();
        var variables = Variables.Copy(input.Variables);
        var config = input.Config;
        foreach (var (key, value) in pairs)
        {
            config = config with { Env = StageVariables.SetEnvEntry(config.Env ?? [], key, value) };
            variables.SetEnv(key, value);
        }
        return new(input with { Config = config, Variables = variables }, "ENV " + string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}")));
    }
}

file static class Variables
{
    /// <summary>
    /// A copy to set variables in, so that the step's input stays as it was: <see cref="StageVariables.Derive"/> copies
    /// all of the variables' state (the environment and the declared ARGs).
    /// </summary>
    public static StageVariables Copy(StageVariables variables) => variables.Derive();
}
