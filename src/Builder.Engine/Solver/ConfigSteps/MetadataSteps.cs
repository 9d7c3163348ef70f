using Builder.Dockerfile.Binding;

namespace Builder.Engine.Solver.ConfigSteps;

/// <summary>LABEL: names and values are words, expanded and unquoted; a name set again is replaced.</summary>
internal sealed class LabelStep(LabelInstruction label) : ConfigStep
{
    public override ConfigOutput Apply(ConfigState input)
    {
        var labels = new Dictionary<string, string>(input.Config.Labels ?? new Dictionary<string, string>());
        var expanded = label.Labels.Select(l => (Key: input.Variables.Expand(l.Key), Value: input.Variables.Expand(l.Value))).ToList();
        foreach (var (key, value) in expanded)
        {
            labels[key] = value;
        }
        return new(input with { Config = input.Config with { Labels = labels } }, "LABEL " + string.Join(' ', expanded.Select(l => $"{l.Key}={l.Value}")));
    }
}

/// <summary>EXPOSE: its words expanded and split; the history shows all exposed ports, sorted, as Go prints a map.</summary>
internal sealed class ExposeStep(ExposeInstruction expose) : ConfigStep
{
    public override ConfigOutput Apply(ConfigState input)
    {
        var ports = (input.Config.ExposedPorts ?? []).ToList();
        foreach (var port in expose.Ports.SelectMany(p => input.Variables.ExpandWords(p)).SelectMany(ExpandPorts))
        {
            if (!ports.Contains(port))
            {
                ports.Add(port);
            }
        }
        return new(input with { Config = input.Config with { ExposedPorts = ports } },
            $"EXPOSE map[{string.Join(' ', ports.Order(StringComparer.Ordinal).Select(p => p + ":{}"))}]");
    }

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

/// <summary>VOLUME: each path expanded, none empty; one already declared is not added again.</summary>
internal sealed class VolumeStep(VolumeInstruction volume) : ConfigStep
{
    public override ConfigOutput Apply(ConfigState input)
    {
        var paths = volume.Paths.Select(input.Variables.Expand).ToList();
        var volumes = (input.Config.Volumes ?? []).ToList();
        foreach (var path in paths)
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
        return new(input with { Config = input.Config with { Volumes = volumes } }, "VOLUME [" + string.Join(' ', paths) + "]");
    }
}

/// <summary>STOPSIGNAL: expanded, and a signal name or number.</summary>
internal sealed class StopSignalStep(StopSignalInstruction stop) : ConfigStep
{
    public override ConfigOutput Apply(ConfigState input)
    {
        var signal = input.Variables.Expand(stop.Signal);
        if (StopSignal.Error(signal) is { } error)
        {
            throw new BuildException(error);
        }
        return new(input with { Config = input.Config with { StopSignal = signal } }, "STOPSIGNAL " + signal);
    }
}

internal sealed class UserStep(UserInstruction user) : ConfigStep
{
    public override ConfigOutput Apply(ConfigState input)
    {
        var expanded = input.Variables.Expand(user.User);
        return new(input with { Config = input.Config with { User = expanded } }, "USER " + expanded);
    }
}

/// <summary>MAINTAINER: the image's author, not a config field.</summary>
internal sealed class MaintainerStep(MaintainerInstruction maintainer) : ConfigStep
{
    public override ConfigOutput Apply(ConfigState input)
    {
        var author = input.Variables.Expand(maintainer.Maintainer);
        return new(input with { Author = author }, "MAINTAINER " + author);
    }
}

/// <summary>
/// WORKDIR's config part: the path expanded and made absolute against the working directory before it. BuildKit makes
/// every WORKDIR but "/" a mkdir -p of its own, so that one's history is a layer's (<see cref="WorkdirStep"/>).
/// </summary>
internal sealed class WorkdirConfigStep(WorkdirInstruction workdir) : ConfigStep
{
    public override ConfigOutput Apply(ConfigState input)
    {
        var path = input.Variables.Expand(workdir.Path);
        var absolute = StepFiles.Resolve(path, StepFiles.WorkingDirectory(input.Config));
        return new(input with { Config = input.Config with { WorkingDir = absolute } }, "WORKDIR " + absolute, EmptyLayer: absolute == "/");
    }
}
