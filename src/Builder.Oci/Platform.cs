using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace Builder.Oci;

/// <summary>
/// An OCI platform (<c>linux/amd64</c>, <c>linux/arm/v7</c>), normalised as containerd does. Written in the Go
/// struct's member order (architecture, os, os.version, os.features, variant), as docker and BuildKit write it.
/// </summary>
public sealed record Platform(
    [property: JsonPropertyName("os"), JsonPropertyOrder(1)] string Os,
    [property: JsonPropertyName("architecture"), JsonPropertyOrder(0)] string Architecture)
{
    [JsonPropertyName("variant")]
    [JsonPropertyOrder(4)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Variant { get; init; }

    [JsonPropertyName("os.version")]
    [JsonPropertyOrder(2)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? OsVersion { get; init; }

    [JsonPropertyName("os.features")]
    [JsonPropertyOrder(3)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? OsFeatures { get; init; }

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";

    /// <summary>The platform of this machine.</summary>
    public static Platform Host { get; } = Normalize(new Platform("linux", RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        System.Runtime.InteropServices.Architecture.S390x => "s390x",
        System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
        System.Runtime.InteropServices.Architecture.RiscV64 => "riscv64",
        var other => other.ToString().ToLowerInvariant(),
    }));

    /// <summary>Parses <c>os[/arch[/variant]]</c>; an architecture alone (<c>arm64</c>) means linux.</summary>
    public static Platform Parse(string text)
    {
        var parts = text.Trim().ToLowerInvariant().Split('/');
        if (parts.Length is < 1 or > 3 || parts.Any(p => p.Length == 0))
        {
            throw new FormatException($"invalid platform \"{text}\": expected os/arch[/variant]");
        }
        var platform = parts.Length == 1
            ? (IsKnownOs(parts[0]) ? new Platform(parts[0], Host.Architecture) : new Platform("linux", parts[0]))
            : new Platform(parts[0], parts[1]) { Variant = parts.Length == 3 ? parts[2] : null };
        return Normalize(platform);
    }

    private static bool IsKnownOs(string os) => os is "linux" or "windows" or "darwin" or "freebsd";

    /// <summary>Architecture aliases to their canonical names (x86_64 → amd64, aarch64 → arm64, ...).</summary>
    public static Platform Normalize(Platform platform)
    {
        var (architecture, variant) = (platform.Architecture, platform.Variant) switch
        {
            ("x86_64" or "x86-64" or "amd64", var v) => ("amd64", v == "v1" ? null : v),
            ("aarch64" or "arm64", var v) => ("arm64", v is "v8" or "8" ? null : v),
            ("armhf", _) => ("arm", "v7"),
            ("armel", _) => ("arm", "v6"),
            ("arm", null) => ("arm", "v7"),
            ("arm", var v) => ("arm", v.StartsWith('v') ? v : "v" + v),
            ("i386" or "i686" or "386", var v) => ("386", v),
            var (a, v) => (a, v),
        };
        return platform with { Os = platform.Os.ToLowerInvariant(), Architecture = architecture, Variant = variant };
    }

    /// <summary>Whether an image for <paramref name="candidate"/> runs here as this platform asks.</summary>
    public bool Matches(Platform candidate)
    {
        var a = Normalize(this);
        var b = Normalize(candidate);
        return a.Os == b.Os && a.Architecture == b.Architecture && (a.Variant is null || a.Variant == b.Variant);
    }
}
