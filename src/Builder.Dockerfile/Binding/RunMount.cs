using System.Globalization;
using Sprache;

namespace Builder.Dockerfile.Binding;

public enum MountType
{
    Bind,
    Cache,
    Tmpfs,
    Secret,
    Ssh,
}

public enum CacheSharing
{
    Shared,
    Private,
    Locked,
}

/// <summary>
/// One <c>RUN --mount=...</c>, read as BuildKit reads it: comma-separated <c>key=value</c> fields (CSV quoting),
/// with each type's defaults filled in.
/// </summary>
public sealed record RunMount(
    MountType Type,
    string Target,
    string? Source,
    string? From,
    bool ReadOnly,
    string? Id,
    CacheSharing Sharing,
    uint? Mode,
    uint? Uid,
    uint? Gid,
    bool Required,
    long? SizeBytes,
    string? Env)
{
    private static readonly Parser<string> QuotedField =
        from open in Sprache.Parse.Char('"')
        from body in Sprache.Parse.String("\"\"").Return('"').Or(Sprache.Parse.CharExcept('"')).Many().Text()
        from close in Sprache.Parse.Char('"')
        select body;

    private static readonly Parser<string> PlainField = Sprache.Parse.CharExcept(',').Many().Text();

    private static readonly Parser<IEnumerable<string>> Fields =
        QuotedField.Or(PlainField).DelimitedBy(Sprache.Parse.Char(',')).End();

    /// <summary>Parses a mount; a <see cref="FormatException"/> names what is wrong.</summary>
    public static RunMount Parse(string value)
    {
        var fields = Fields.TryParse(value);
        if (!fields.WasSuccessful)
        {
            throw new FormatException($"invalid mount {Quote(value)}: unbalanced quotes");
        }
        var type = MountType.Bind;
        string? target = null, source = null, from = null, id = null, env = null;
        bool? readOnly = null;
        var sharing = CacheSharing.Shared;
        uint? mode = null, uid = null, gid = null;
        long? size = null;
        var required = false;

        foreach (var field in fields.Value.Where(f => f.Length > 0))
        {
            var (key, fieldValue) = field.IndexOf('=') is var i and >= 0 ? (field[..i].ToLowerInvariant(), field[(i + 1)..]) : (field.ToLowerInvariant(), null);
            switch (key)
            {
                case "type":
                    type = fieldValue switch
                    {
                        "bind" => MountType.Bind,
                        "cache" => MountType.Cache,
                        "tmpfs" => MountType.Tmpfs,
                        "secret" => MountType.Secret,
                        "ssh" => MountType.Ssh,
                        _ => throw new FormatException($"unsupported mount type {Quote(fieldValue ?? string.Empty)}"),
                    };
                    break;
                case "target" or "dst" or "destination":
                    target = ValueOf(key, fieldValue);
                    break;
                case "source" or "src":
                    source = ValueOf(key, fieldValue);
                    break;
                case "from":
                    from = ValueOf(key, fieldValue);
                    break;
                case "readonly" or "ro":
                    readOnly = Bool(key, fieldValue);
                    break;
                case "readwrite" or "rw":
                    readOnly = !Bool(key, fieldValue);
                    break;
                case "required":
                    required = Bool(key, fieldValue);
                    break;
                case "id":
                    id = ValueOf(key, fieldValue);
                    break;
                case "sharing":
                    sharing = ValueOf(key, fieldValue) switch
                    {
                        "shared" => CacheSharing.Shared,
                        "private" => CacheSharing.Private,
                        "locked" => CacheSharing.Locked,
                        var other => throw new FormatException($"unsupported sharing value {Quote(other)}"),
                    };
                    break;
                case "mode":
                    mode = Number(key, fieldValue, 8);
                    break;
                case "uid":
                    uid = Number(key, fieldValue, 10);
                    break;
                case "gid":
                    gid = Number(key, fieldValue, 10);
                    break;
                case "size":
                    size = Size(ValueOf(key, fieldValue));
                    break;
                case "env":
                    env = ValueOf(key, fieldValue);
                    break;
                default:
                    throw new FormatException($"unexpected key '{key}' in '{field}'");
            }
        }

        switch (type)
        {
            case MountType.Secret:
                if (id is null && target is null && env is null)
                {
                    throw new FormatException("secret mount requires an id, a target or an env");
                }
                id ??= Path.GetFileName(target ?? env);
                // A secret exposed only as an environment variable is not mounted as a file.
                target ??= env is null ? "/run/secrets/" + id : string.Empty;
                break;
            case MountType.Ssh:
                id ??= "default";
                target ??= "/run/buildkit/ssh_agent.0";
                break;
            default:
                if (string.IsNullOrEmpty(target))
                {
                    throw new FormatException($"mount type={type.ToString().ToLowerInvariant()} requires a target");
                }
                break;
        }
        if (type == MountType.Cache)
        {
            id ??= target;
        }
        return new RunMount(type, target, source, from, readOnly ?? type == MountType.Bind, id, sharing, mode, uid, gid, required, size, env);
    }

    private static string ValueOf(string key, string? value) =>
        string.IsNullOrEmpty(value) ? throw new FormatException($"mount option {key} requires a value") : value;

    private static bool Bool(string key, string? value) => value?.ToLowerInvariant() switch
    {
        null or "" or "true" or "1" or "t" => true,
        "false" or "0" or "f" => false,
        _ => throw new FormatException($"invalid value for {key}: {value}"),
    };

    private static uint Number(string key, string? value, int radix)
    {
        try
        {
            return Convert.ToUInt32(ValueOf(key, value), radix);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new FormatException($"invalid value {value} for {key}");
        }
    }

    /// <summary>A size such as <c>64m</c> or <c>1g</c> (binary units, as docker's RAMInBytes).</summary>
    private static long Size(string value)
    {
        var digits = value.TrimEnd('b', 'B');
        var unit = digits.Length > 0 && char.IsLetter(digits[^1]) ? char.ToLowerInvariant(digits[^1]) : ' ';
        var number = unit == ' ' ? digits : digits[..^1];
        var scale = unit switch { ' ' => 1L, 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, 't' => 1L << 40, _ => 0L };
        if (scale == 0 || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) || n > long.MaxValue / scale)
        {
            throw new FormatException($"invalid size: {Quote(value)}");
        }
        return (long)(n * scale);
    }

    private static string Quote(string s) => Syntax.GoText.Quote(s);
}
