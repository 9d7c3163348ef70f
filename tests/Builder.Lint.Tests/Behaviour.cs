namespace Builder.Lint.Tests;

/// <summary>What the behaviour tables share: lint a snippet, see the lines one rule reports.</summary>
internal static class Behaviour
{
    /// <summary>The Dockerfile made of <paramref name="lines"/>.</summary>
    public static string Lines(params string[] lines) => string.Join('\n', lines) + "\n";

    /// <summary>The lines <paramref name="id"/> reports, every severity included (rules that are off by default are raised to info).</summary>
    public static int[] LinesOf(string id, string dockerfile, LintConfig? config = null, LintInputs? inputs = null)
    {
        config ??= LintConfig.Default;
        if (DockerfileLinter.Rule(id)?.DefaultSeverity == Severity.Ignore && !config.Overrides.ContainsKey(id))
        {
            config = config with { Overrides = new Dictionary<string, Severity>(config.Overrides) { [id] = Severity.Info } };
        }
        var findings = inputs is null ? DockerfileLinter.Lint(dockerfile, "Dockerfile", config) : DockerfileLinter.Lint(dockerfile, "Dockerfile", config, inputs);
        return [.. findings.Where(f => f.RuleId == id).Select(f => f.Line)];
    }

    /// <summary>The messages <paramref name="id"/> reports.</summary>
    public static string[] MessagesOf(string id, string dockerfile, LintConfig? config = null, LintInputs? inputs = null)
    {
        var findings = inputs is null ? DockerfileLinter.Lint(dockerfile, "Dockerfile", config ?? LintConfig.Default)
            : DockerfileLinter.Lint(dockerfile, "Dockerfile", config ?? LintConfig.Default, inputs);
        return [.. findings.Where(f => f.RuleId == id).Select(f => f.Message)];
    }

    /// <summary>The same Dockerfile with every RUN made an ONBUILD RUN trigger.</summary>
    public static string AsOnbuild(string dockerfile) =>
        string.Join('\n', dockerfile.Split('\n').Select(l => l.StartsWith("RUN ", StringComparison.Ordinal) ? "ONBUILD " + l : l));
}
