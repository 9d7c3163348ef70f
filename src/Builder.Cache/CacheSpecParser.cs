using System.Globalization;
using Builder.Oci.References;

namespace Builder.Cache;

/// <summary>
/// Reads <c>--cache-from</c> and <c>--cache-to</c> values as buildx spells them: comma-separated <c>key=value</c> fields
/// (<c>type=registry,ref=…</c>, <c>type=local,src=…</c>/<c>dest=…</c>), or a bare reference, which is
/// <c>type=registry,ref=REF</c>. A bad value is a <see cref="FormatException"/> of one line naming the field.
/// </summary>
public static class CacheSpecParser
{
    /// <summary>buildx fields that mean nothing here (the format is always OCI, layers always gzip): accepted, ignored.</summary>
    private static readonly string[] IgnoredFields = ["image-manifest", "oci-mediatypes", "compression", "compression-level", "force-compression", "ignore-error"];

    private static readonly string[] KnownFields = ["type", "ref", "src", "dest", "mode", "cache-mounts", "cache-mounts-max", .. IgnoredFields];

    /// <summary>A <c>--cache-from</c> value: where to import from.</summary>
    public static CacheSpec ParseFrom(string text) => Parse(text, "--cache-from", export: false);

    /// <summary>A <c>--cache-to</c> value: where to export to, and what.</summary>
    public static CacheSpec ParseTo(string text) => Parse(text, "--cache-to", export: true);

    private static CacheSpec Parse(string text, string flag, bool export)
    {
        text = text.Trim();
        if (text.Length == 0)
        {
            throw new FormatException($"{flag}: the value is empty (expected type=registry,ref=REF or type=local,{(export ? "dest" : "src")}=DIR)");
        }
        var fields = text.Contains('=') ? Fields(text, flag) : new Dictionary<string, string> { ["type"] = "registry", ["ref"] = text };
        if (fields.Keys.FirstOrDefault(k => !KnownFields.Contains(k)) is { } unknown)
        {
            throw new FormatException($"{flag}: unknown field {unknown}");
        }
        var spec = fields.GetValueOrDefault("type") switch
        {
            "registry" => Registry(fields, flag),
            "local" => Local(fields, flag, export),
            null => throw new FormatException($"{flag}: type= is missing (registry or local)"),
            var other => throw new FormatException($"{flag}: type '{other}' is not registry or local"),
        };
        return spec with
        {
            Mode = fields.TryGetValue("mode", out var mode) ? ParseMode(mode, flag) : CacheExportMode.Min,
            CacheMounts = fields.TryGetValue("cache-mounts", out var mounts) && ParseBool("cache-mounts", mounts, flag),
            CacheMountsMax = fields.TryGetValue("cache-mounts-max", out var max) ? ParseSize(max, flag) : spec.CacheMountsMax,
        };
    }

    private static Dictionary<string, string> Fields(string text, string flag)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in text.Split(','))
        {
            var equals = field.IndexOf('=');
            if (equals <= 0)
            {
                throw new FormatException($"{flag}: '{field}' is not key=value");
            }
            var key = field[..equals].Trim();
            if (!fields.TryAdd(key, field[(equals + 1)..].Trim()))
            {
                throw new FormatException($"{flag}: {key}= is given twice");
            }
        }
        return fields;
    }

    private static CacheSpec Registry(Dictionary<string, string> fields, string flag)
    {
        if (fields.GetValueOrDefault("ref") is not { Length: > 0 } text)
        {
            throw new FormatException($"{flag}: type=registry needs ref=REGISTRY/REPOSITORY[:TAG]");
        }
        if (fields.ContainsKey("src") || fields.ContainsKey("dest"))
        {
            throw new FormatException($"{flag}: src= and dest= are for type=local; type=registry takes ref=");
        }
        if (!ImageReference.TryParse(text, out var reference, out var error))
        {
            throw new FormatException($"{flag}: ref={text}: {error}");
        }
        if (reference.Digest is not null)
        {
            throw new FormatException($"{flag}: ref={text}: a cache is a repository and a tag, not a digest");
        }
        // ImageReference fills in "latest" when the text names no tag: buildx's cache then uses its own default.
        var tag = text.EndsWith(":" + reference.Tag, StringComparison.Ordinal) ? reference.Tag! : CacheSpec.DefaultTag;
        return new CacheSpec(reference.WithoutTagOrDigest(), null, CheckTag(tag, flag));
    }

    private static CacheSpec Local(Dictionary<string, string> fields, string flag, bool export)
    {
        if (fields.ContainsKey("ref"))
        {
            throw new FormatException($"{flag}: ref= is for type=registry; type=local takes {(export ? "dest" : "src")}=DIR");
        }
        var (wanted, other) = export ? ("dest", "src") : ("src", "dest");
        if (fields.ContainsKey(other))
        {
            throw new FormatException($"{flag}: type=local {(export ? "writes to dest=" : "reads from src=")}, not {other}=");
        }
        if (fields.GetValueOrDefault(wanted) is not { Length: > 0 } directory)
        {
            throw new FormatException($"{flag}: type=local needs {wanted}=DIR");
        }
        return new CacheSpec(null, Path.GetFullPath(directory), CacheSpec.DefaultTag);
    }

    // Entry tags are "{prefix}-{64 hex}" or "{prefix}-mount-{64 hex}": the prefix must leave room for the longer one.
    private static string CheckTag(string tag, string flag) =>
        tag.Length <= CacheEntries.MaxTagPrefix ? tag
        : throw new FormatException($"{flag}: ref tag '{tag}' is {tag.Length} characters; a cache tag may have at most {CacheEntries.MaxTagPrefix}");

    private static CacheExportMode ParseMode(string value, string flag) => value.ToLowerInvariant() switch
    {
        "min" => CacheExportMode.Min,
        "max" => CacheExportMode.Max,
        _ => throw new FormatException($"{flag}: mode={value} is not min or max"),
    };

    private static bool ParseBool(string key, string value, string flag) => value.ToLowerInvariant() switch
    {
        "true" or "1" => true,
        "false" or "0" => false,
        _ => throw new FormatException($"{flag}: {key}={value} is not true or false"),
    };

    /// <summary>
    /// A size as docker's flags take it: bytes, or a number with a unit; k, m, g (and KiB, MiB, GiB) are powers of
    /// 1024, KB, MB, GB powers of 1000.
    /// </summary>
    internal static long ParseSize(string value, string flag)
    {
        var digits = value.TakeWhile(c => char.IsAsciiDigit(c) || c == '.').Count();
        var unit = value[digits..].Trim().ToLowerInvariant();
        long? multiplier = unit switch
        {
            "" or "b" => 1,
            "k" or "kib" => 1L << 10,
            "m" or "mib" => 1L << 20,
            "g" or "gib" => 1L << 30,
            "t" or "tib" => 1L << 40,
            "kb" => 1_000,
            "mb" => 1_000_000,
            "gb" => 1_000_000_000,
            "tb" => 1_000_000_000_000,
            _ => null,
        };
        if (multiplier is null || !double.TryParse(value[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            || number * multiplier.Value is not (>= 1 and < long.MaxValue))
        {
            throw new FormatException($"{flag}: cache-mounts-max={value} is not a size (bytes, or a number with k, m, g, KiB, MB…)");
        }
        return (long)(number * multiplier.Value);
    }
}
