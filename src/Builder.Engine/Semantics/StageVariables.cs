using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Shell;

namespace Builder.Engine.Semantics;

/// <summary>
/// The ARG and ENV scope of one stage, as BuildKit keeps it: an ARG takes its build argument, else its default,
/// else the global value of the same name; build arguments reach only declared ARGs (proxy variables excepted);
/// ENV wins over ARG in expansion; ARG values reach RUN's environment but never the image config.
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
    private readonly List<KeyValuePair<string, string?>> _declared = [];
    private readonly HashSet<string> _usedBuildArgs;

    public StageVariables(IReadOnlyDictionary<string, string> buildArgs, IReadOnlyDictionary<string, string> global, ShellLexer lexer, HashSet<string> usedBuildArgs)
    {
        _buildArgs = buildArgs;
        _global = global;
        _lexer = lexer;
        _usedBuildArgs = usedBuildArgs;
    }

    /// <summary>Declares an ARG of the stage; <paramref name="env"/> is the stage's ENV for expanding a default.</summary>
    public void Declare(ArgDeclaration declaration, IReadOnlyList<string> env)
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
            value = Expand(fallback, env);
        }
        else
        {
            value = _global.TryGetValue(declaration.Name, out var global) ? global : null;
        }
        _declared.RemoveAll(p => p.Key == declaration.Name);
        _declared.Add(new(declaration.Name, value));
    }

    /// <summary>Expands a word with the ARGs in scope overridden by <paramref name="env"/>.</summary>
    public string Expand(string word, IReadOnlyList<string> env) => _lexer.ProcessWord(word, ExpansionScope(env)).Value;

    /// <summary>Expands and splits into words, as for COPY sources.</summary>
    public IReadOnlyList<string> ExpandWords(string word, IReadOnlyList<string> env) => _lexer.ProcessWords(word, ExpansionScope(env));

    public IReadOnlyDictionary<string, string> ExpansionScope(IReadOnlyList<string> env)
    {
        var scope = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in _declared)
        {
            if (value is not null)
            {
                scope[name] = value;
            }
        }
        foreach (var entry in env)
        {
            var equals = entry.IndexOf('=');
            if (equals > 0)
            {
                scope[entry[..equals]] = entry[(equals + 1)..];
            }
        }
        return scope;
    }

    /// <summary>The declared ARGs with values, in declaration order (RUN's history prefix and environment).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ArgsWithValues =>
        [.. _declared.Where(p => p.Value is not null).Select(p => new KeyValuePair<string, string>(p.Key, p.Value!))];

    /// <summary>RUN's environment: the image's ENV, plus ARGs and proxy build args that ENV does not set.</summary>
    public IReadOnlyList<string> RunEnvironment(IReadOnlyList<string> env)
    {
        var names = new HashSet<string>(env.Select(e => e.Split('=', 2)[0]), StringComparer.Ordinal);
        var result = env.ToList();
        foreach (var (name, value) in ArgsWithValues.Concat(_buildArgs.Where(p => ProxyArgs.Contains(p.Key))))
        {
            if (names.Add(name))
            {
                result.Add($"{name}={value}");
                if (ProxyArgs.Contains(name))
                {
                    lock (_usedBuildArgs)
                    {
                        _usedBuildArgs.Add(name);
                    }
                }
            }
        }
        return result;
    }
}
