using YamlDotNet.RepresentationModel;

namespace Builder.Lint;

/// <summary>hadolint's configuration (.hadolint.yaml): ignored rules, severity overrides, trusted registries, label schema.</summary>
public sealed record LintConfig
{
    public IReadOnlySet<string> Ignored { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, Severity> Overrides { get; init; } = new Dictionary<string, Severity>(StringComparer.Ordinal);

    public IReadOnlyList<string> TrustedRegistries { get; init; } = [];

    /// <summary>Required labels and their types (text, url, semver, hash, rfc3339, spdx, email).</summary>
    public IReadOnlyDictionary<string, string> LabelSchema { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public bool StrictLabels { get; init; }

    public Severity FailureThreshold { get; init; } = Severity.Info;

    public bool NoFail { get; init; }

    /// <summary>Inline <c># hadolint ignore=</c> pragmas are refused (DL1001 reports them).</summary>
    public bool DisableIgnorePragma { get; init; }

    public static LintConfig Default { get; } = new();

    /// <summary>
    /// The config hadolint would use from <paramref name="directory"/>: the first that exists of its search list
    /// (./.hadolint.y[a]ml, $XDG_CONFIG_HOME/hadolint.y[a]ml, ~/.hadolint/{hadolint,config}.y[a]ml, ~/.hadolint.y[a]ml).
    /// Only the caller's file system is asked: linting itself reads nothing.
    /// </summary>
    public static string? Find(string directory, Func<string, string?> environment) =>
        Candidates(directory, environment).FirstOrDefault(File.Exists);

    /// <summary>hadolint's search list for a config file, in order.</summary>
    public static IReadOnlyList<string> Candidates(string directory, Func<string, string?> environment)
    {
        var home = environment("HOME") ?? "";
        var configHome = environment("XDG_CONFIG_HOME") is { Length: > 0 } x ? x : Path.Combine(home, ".config");
        var appData = Path.Combine(home, ".hadolint");
        return
        [
            Path.Combine(directory, ".hadolint.yaml"), Path.Combine(directory, ".hadolint.yml"),
            Path.Combine(configHome, "hadolint.yaml"), Path.Combine(configHome, "hadolint.yml"),
            Path.Combine(appData, "hadolint.yaml"), Path.Combine(appData, "hadolint.yml"),
            Path.Combine(appData, "config.yaml"), Path.Combine(appData, "config.yml"),
            Path.Combine(home, ".hadolint.yaml"), Path.Combine(home, ".hadolint.yml"),
        ];
    }

    public static LintConfig Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            return Default;
        }
        var overrides = new Dictionary<string, Severity>(StringComparer.Ordinal);
        if (Child(root, "override") is YamlMappingNode levels)
        {
            foreach (var (key, value) in levels.Children)
            {
                var severity = ParseSeverity(((YamlScalarNode)key).Value!);
                foreach (var id in Strings(value))
                {
                    overrides[id] = severity;
                }
            }
        }
        var schema = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Child(root, "label-schema") is YamlMappingNode labels)
        {
            foreach (var (key, value) in labels.Children)
            {
                schema[((YamlScalarNode)key).Value!] = (value as YamlScalarNode)?.Value ?? "text";
            }
        }
        return new LintConfig
        {
            Ignored = new HashSet<string>(Strings(Child(root, "ignored")), StringComparer.Ordinal),
            Overrides = overrides,
            // hadolint reads both spellings.
            TrustedRegistries = [.. Strings(Child(root, "trustedRegistries")).Concat(Strings(Child(root, "trusted-registries"))).Distinct(StringComparer.Ordinal)],
            LabelSchema = schema,
            StrictLabels = Bool(Child(root, "strict-labels")),
            NoFail = Bool(Child(root, "no-fail")),
            DisableIgnorePragma = Bool(Child(root, "disable-ignore-pragma")),
            FailureThreshold = Child(root, "failure-threshold") is YamlScalarNode { Value: { } threshold } ? ParseSeverity(threshold) : Severity.Info,
        };
    }

    public static Severity ParseSeverity(string text) => text.ToLowerInvariant() switch
    {
        "error" => Severity.Error,
        "warning" => Severity.Warning,
        "info" => Severity.Info,
        "style" => Severity.Style,
        "ignore" or "none" => Severity.Ignore,
        _ => throw new FormatException($"unknown severity '{text}' (error, warning, info, style, ignore)"),
    };

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static IEnumerable<string> Strings(YamlNode? node) => node switch
    {
        YamlSequenceNode sequence => sequence.Children.OfType<YamlScalarNode>().Select(s => s.Value!).Where(v => v.Length > 0),
        YamlScalarNode { Value: { Length: > 0 } single } => [single],
        _ => [],
    };

    private static bool Bool(YamlNode? node) => node is YamlScalarNode { Value: "true" or "True" or "TRUE" or "yes" };
}
