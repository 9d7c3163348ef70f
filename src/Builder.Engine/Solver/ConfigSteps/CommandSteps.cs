using Builder.Dockerfile.Binding;
using Builder.Oci.Images;

namespace Builder.Engine.Solver.ConfigSteps;

/// <summary>SHELL: the shell of the shell-form commands after it (RUN, CMD, ENTRYPOINT).</summary>
internal sealed class ShellStep(ShellInstruction shell) : ConfigStep
{
    public override ConfigOutput Apply(ConfigState input) =>
        new(input with { Config = input.Config with { Shell = shell.Shell } }, "SHELL [" + string.Join(' ', shell.Shell) + "]");
}

/// <summary>CMD: the stage has set its own now, which a later ENTRYPOINT keeps.</summary>
internal sealed class CmdStep(CmdInstruction cmd) : ConfigStep
{
    public override ConfigOutput Apply(ConfigState input)
    {
        var args = cmd.Command.ToArgs(input.Shell);
        return new(input with { Config = input.Config with { Cmd = args }, CmdSet = true }, "CMD " + HistoryText.Json(args));
    }
}

/// <summary>ENTRYPOINT: drops a CMD inherited from the base, not one this stage set (BuildKit's cmdSet).</summary>
internal sealed class EntrypointStep(EntrypointInstruction entrypoint) : ConfigStep
{
    public override ConfigOutput Apply(ConfigState input)
    {
        var args = entrypoint.Command.ToArgs(input.Shell);
        return new(input with { Config = input.Config with { Entrypoint = args, Cmd = input.CmdSet ? input.Config.Cmd : null } },
            "ENTRYPOINT " + HistoryText.Json(args));
    }
}

/// <summary>HEALTHCHECK: NONE, or the test with the options given (a zero option is left out).</summary>
internal sealed class HealthcheckStep(HealthcheckInstruction health) : ConfigStep
{
    public override ConfigOutput Apply(ConfigState input)
    {
        var healthcheck = health.IsNone
            ? new HealthcheckConfig { Test = ["NONE"] }
            : new HealthcheckConfig
            {
                Test = health.Test,
                Interval = NullIfZero(health.Interval),
                Timeout = NullIfZero(health.Timeout),
                StartPeriod = NullIfZero(health.StartPeriod),
                StartInterval = NullIfZero(health.StartInterval),
                Retries = health.Retries == 0 ? null : health.Retries,
            };
        return new(input with { Config = input.Config with { Healthcheck = healthcheck } },
            "HEALTHCHECK " + (health.IsNone ? "NONE" : "&{" + HistoryText.Json(health.Test) + "}"));
    }

    private static TimeSpan? NullIfZero(TimeSpan value) => value == TimeSpan.Zero ? null : value;
}

/// <summary>ONBUILD: a trigger kept in the config for stages based on this image; it adds no history.</summary>
internal sealed class OnbuildStep(OnbuildInstruction onbuild) : ConfigStep
{
    public override ConfigOutput Apply(ConfigState input) =>
        new(input with { Config = input.Config with { OnBuild = [.. input.Config.OnBuild ?? [], onbuild.Expression] } }, CreatedBy: null);
}

file static class HistoryText
{
    /// <summary>A command's words as the history shows them: a JSON array, quotes and backslashes escaped.</summary>
    public static string Json(IReadOnlyList<string>? words) =>
        "[" + string.Join(",", (words ?? []).Select(w => "\"" + w.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"")) + "]";
}
