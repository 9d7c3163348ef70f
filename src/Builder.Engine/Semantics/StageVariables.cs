using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Shell;

namespace Builder.Engine.Semantics;

/// <summary>
/// The variables of one stage as BuildKit's Dockerfile frontend keeps them: one ordered environment (its LLB state's
/// env) that ENV and ARG both set, the last one set winning. It expands every instruction's words and is RUN's
/// environment; the image config's Env is kept apart (ENV sets it, ARG never does). A stage starts from its base's
/// config Env; a stage based on an earlier stage starts from that stage's variables, its ARG values included, with the
/// config Env set over them (dockerfile2llb: <c>ds.state = ds.base.state</c>, then the image's Env is added).
/// </summary>
public sealed class StageVariables
{
    /// <summary>Proxy variables docker passes to RUN without an ARG and never records.</summary>
    public static readonly IReadOnlySet<string> ProxyArgs = new HashSet<string>(StringComparer.Ordinal)
    {
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
    };

    private readonly IReadOnlyDictionary<string, string> _buildArgs;
    private readonly IReadOnlyDictionary<string, string> _global;
    private readonly ShellLexer _lexer;
    private readonly HashSet<string> _usedBuildArgs;

    // Names in the order they were last set: a name set again moves to the end (llb's EnvList.AddOrReplace).
    private readonly List<KeyValuePair<string, string>> _environment = [];

    // Every ARG declared in this stage or inherited from its base stage, with the value it got (null: none).
    private readonly List<KeyValuePair<string, string?>> _declared = [];

    public StageVariables(IReadOnlyDictionary<string, string> buildArgs, IReadOnlyDictionary<string, string> global, ShellLexer lexer, HashSet<string> usedBuildArgs)
    {
        _buildArgs = buildArgs;
        _global = global;
        _lexer = lexer;
        _usedBuildArgs = usedBuildArgs;
    }

    /// <summary>
    /// The variables a stage based on this one starts from: the same environment (ARG values included) and declared
    /// ARGs; the caller then applies the stage's config Env with <see cref="ApplyImageEnv"/>.
    /// </summary>
    public StageVariables Derive()
    {
        var derived = new StageVariables(_buildArgs, _global, _lexer, _usedBuildArgs);
        derived._environment.AddRange(_environment);
        derived._declared.AddRange(_declared);
        return derived;
    }

    /// <summary>The base's config Env, set entry by entry in its order, as a stage starts (over inherited values).</summary>
    public void ApplyImageEnv(IReadOnlyList<string> env)
    {
        foreach (var entry in env)
        {
            var (name, value) = SplitEntry(entry);
            Set(name, value);
        }
    }

    /// <summary>ENV: sets the variable for the rest of the stage (the caller sets the config's Env with <see cref="SetEnvEntry"/>).</summary>
    public void SetEnv(string name, string value) => Set(name, value);

    /// <summary>
    /// ARG: takes the build argument if given, else its default expanded with the variables so far, else the global
    /// value of that name; a value is set in the environment, no value leaves it as it is (a value inherited from the
    /// base stage or set by ENV stays). Returns the value the ARG got, null for none. The name is used as written:
    /// BuildKit expands a stage ARG's default but not its name.
    /// </summary>
    public string? Declare(ArgDeclaration declaration)
    {
        string? value;
        if (_buildArgs.TryGetValue(declaration.Name, out var given))
        {
            value = given;
            lock (_usedBuildArgs)
            {
                _usedBuildArgs.Add(declaration.Name);
            }
        }
        else if (declaration.Default is { } fallback)
        {
            value = Expand(fallback);
        }
        else
        {
            value = _global.TryGetValue(declaration.Name, out var global) ? global : null;
        }
        if (value is not null)
        {
            Set(declaration.Name, value);
        }
        _declared.Add(new(declaration.Name, value));
        return value;
    }

    /// <summary>Expands a word with the stage's variables.</summary>
    public string Expand(string word) => _lexer.ProcessWord(word, ExpansionScope).Value;

    /// <summary>Expands and splits into words, as for EXPOSE.</summary>
    public IReadOnlyList<string> ExpandWords(string word) => _lexer.ProcessWords(word, ExpansionScope);

    /// <summary>The variables by name, for expansion.</summary>
    public IReadOnlyDictionary<string, string> ExpansionScope
    {
        get
        {
            var scope = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, value) in _environment)
            {
                scope[name] = value;
            }
            return scope;
        }
    }

    /// <summary>
    /// The declared ARGs as RUN's history prefix shows them (<c>RUN |2 A=1 B=2 cmd</c>): each name once, where it was
    /// first declared, with its current value in the environment, else the value it was declared with, else empty.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> ArgsWithValues
    {
        get
        {
            var names = new List<string>();
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            var scope = ExpansionScope;
            foreach (var (name, declared) in _declared)
            {
                if (!values.ContainsKey(name))
                {
                    names.Add(name);
                }
                values[name] = scope.TryGetValue(name, out var current) ? current : declared ?? "";
            }
            return [.. names.Select(n => new KeyValuePair<string, string>(n, values[n]))];
        }
    }

    /// <summary>RUN's environment: the stage's variables in the order they were last set, then proxy build args not set.</summary>
    public IReadOnlyList<string> RunEnvironment()
    {
        var result = _environment.Select(p => $"{p.Key}={p.Value}").ToList();
        var names = new HashSet<string>(_environment.Select(p => p.Key), StringComparer.Ordinal);
        foreach (var (name, value) in _buildArgs.Where(p => ProxyArgs.Contains(p.Key)))
        {
            if (names.Add(name))
            {
                result.Add($"{name}={value}");
                lock (_usedBuildArgs)
                {
                    _usedBuildArgs.Add(name);
                }
            }
        }
        return result;
    }

    /// <summary>
    /// The config Env with <paramref name="name"/> set: an entry of that name is replaced where it is, else one is
    /// appended (dockerfile2llb's addEnv).
    /// </summary>
    public static IReadOnlyList<string> SetEnvEntry(IReadOnlyList<string> env, string name, string value)
    {
        var result = env.ToList();
        var index = result.FindIndex(e => SplitEntry(e).Name == name);
        if (index >= 0)
        {
            result[index] = $"{name}={value}";
        }
        else
        {
            result.Add($"{name}={value}");
        }
        return result;
    }

    /// <summary>Whether the config Env sets <paramref name="name"/>.</summary>
    public static bool HasEnvEntry(IReadOnlyList<string> env, string name) => env.Any(e => SplitEntry(e).Name == name);

    private void Set(string name, string value)
    {
        _environment.RemoveAll(p => p.Key == name);
        _environment.Add(new(name, value));
    }

    // "K=V" → (K, V); an entry without "=" is a name with an empty value, as Go's parseKeyValue reads it.
    private static (string Name, string Value) SplitEntry(string entry)
    {
        var equals = entry.IndexOf('=');
        return equals < 0 ? (entry, "") : (entry[..equals], entry[(equals + 1)..]);
    }
}
