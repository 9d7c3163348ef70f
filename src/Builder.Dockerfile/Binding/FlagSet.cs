using Builder.Dockerfile.Syntax;

namespace Builder.Dockerfile.Binding;

/// <summary>How a flag takes its value: a switch (<c>--link</c>, <c>--link=false</c>), one value, or repeated values.</summary>
internal enum FlagKind
{
    Bool,
    String,
    Strings,
}

/// <summary>
/// The flags one instruction accepts, checked the way BuildKit's BFlags checks them: unknown names, repeated
/// single-value flags, missing values and non-boolean switches are errors naming the flag.
/// </summary>
internal sealed class FlagSet
{
    private readonly Dictionary<string, List<string>> _values = [];

    private FlagSet()
    {
    }

    public static FlagSet Parse(InstructionSyntax instruction, Func<TextSpan, string, Exception> error, params (string Name, FlagKind Kind)[] accepted)
    {
        var set = new FlagSet();
        var kinds = accepted.ToDictionary(a => a.Name, a => a.Kind);
        foreach (var flag in instruction.Flags)
        {
            var name = flag.Name;
            if (!kinds.TryGetValue(name, out var kind))
            {
                throw error(flag.Span, $"unknown flag: {name}");
            }
            if (set._values.ContainsKey(name) && kind != FlagKind.Strings)
            {
                throw error(flag.Span, $"duplicate flag specified: {name}");
            }
            var value = flag.Value;
            switch (kind)
            {
                case FlagKind.Bool:
                    value = value?.ToLowerInvariant() ?? "true";
                    if (value is not ("true" or "false"))
                    {
                        throw error(flag.Span, $"expecting boolean value for flag {name}, not: {flag.Value}");
                    }
                    break;
                case FlagKind.String or FlagKind.Strings when value is null:
                    throw error(flag.Span, $"missing a value on flag: {name}");
            }
            if (!set._values.TryGetValue(name, out var values))
            {
                set._values[name] = values = [];
            }
            values.Add(value!);
        }
        return set;
    }

    public string? String(string name) => _values.TryGetValue(name, out var v) ? v[^1] : null;

    public bool Bool(string name) => String(name) == "true";

    /// <summary>A switch that may be absent (null), on or off.</summary>
    public bool? OptionalBool(string name) => String(name) is { } v ? v == "true" : null;

    public IReadOnlyList<string> Strings(string name) => _values.TryGetValue(name, out var v) ? v : [];
}
