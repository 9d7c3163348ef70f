using System.Text;
using System.Text.RegularExpressions;

namespace Builder.Signing.Sbom;

/// <summary>
/// The package databases Builder reads: dpkg's status file (and distroless images' <c>status.d</c>), apk's installed
/// database, and Python distributions' metadata (<c>*.dist-info/METADATA</c>, <c>*.egg-info</c>).
/// </summary>
public static partial class PackageDatabases
{
    public const string DpkgStatus = "var/lib/dpkg/status";
    public const string DpkgStatusDirectory = "var/lib/dpkg/status.d/";
    public const string ApkInstalled = "lib/apk/db/installed";
    private static readonly string[] OsRelease = ["etc/os-release", "usr/lib/os-release"];

    /// <summary>Whether <paramref name="path"/> (relative to the image root) is a file the catalogue reads.</summary>
    public static bool IsDatabase(string path) =>
        path is DpkgStatus or ApkInstalled
        || OsRelease.Contains(path)
        || (path.StartsWith(DpkgStatusDirectory, StringComparison.Ordinal) && !path.EndsWith(".md5sums", StringComparison.Ordinal))
        || PythonMetadataPath().IsMatch(path);

    /// <summary>Every package the databases among <paramref name="files"/> list, sorted by type, name and version.</summary>
    public static IReadOnlyList<Package> Catalogue(IReadOnlyDictionary<string, byte[]> files)
    {
        var distribution = OsRelease.Select(files.GetValueOrDefault).OfType<byte[]>().Select(ParseOsRelease).FirstOrDefault();
        var packages = new List<Package>();
        foreach (var (path, content) in files)
        {
            var text = Encoding.UTF8.GetString(content);
            if (path == DpkgStatus || path.StartsWith(DpkgStatusDirectory, StringComparison.Ordinal))
            {
                packages.AddRange(ParseDpkg(text, "/" + path, distribution));
            }
            else if (path == ApkInstalled)
            {
                packages.AddRange(ParseApk(text, "/" + path, distribution));
            }
            else if (PythonMetadataPath().IsMatch(path) && ParsePython(text, "/" + path) is { } python)
            {
                packages.Add(python);
            }
        }
        return [.. packages.DistinctBy(p => (p.Purl, p.FoundIn))
            .OrderBy(p => p.Type, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Version, StringComparer.Ordinal)];
    }

    /// <summary>dpkg status paragraphs; only installed packages (status.d entries have no Status and are all installed).</summary>
    public static IEnumerable<Package> ParseDpkg(string text, string foundIn, Distribution? distribution)
    {
        foreach (var fields in Paragraphs(text).Select(DebianFields))
        {
            if (fields.GetValueOrDefault("Package") is not { Length: > 0 } name || fields.GetValueOrDefault("Version") is not { Length: > 0 } version
                || (fields.GetValueOrDefault("Status") is { } status && !status.EndsWith(" installed", StringComparison.Ordinal)))
            {
                continue;
            }
            var architecture = fields.GetValueOrDefault("Architecture");
            var purl = PackageUrl.Create("deb", distribution?.Id ?? "debian", name, version,
                [("arch", architecture), ("distro", distribution?.Qualifier)]);
            yield return new Package("deb", name, version, purl)
            {
                Architecture = architecture,
                Homepage = fields.GetValueOrDefault("Homepage"),
                FoundIn = foundIn,
            };
        }
    }

    /// <summary>apk's installed database: one paragraph per package, one-letter keys (P name, V version, A arch, U url).</summary>
    public static IEnumerable<Package> ParseApk(string text, string foundIn, Distribution? distribution)
    {
        foreach (var paragraph in Paragraphs(text))
        {
            var fields = new Dictionary<char, string>();
            foreach (var line in paragraph)
            {
                if (line.Length >= 2 && line[1] == ':')
                {
                    fields.TryAdd(line[0], line[2..]);
                }
            }
            if (fields.GetValueOrDefault('P') is not { Length: > 0 } name || fields.GetValueOrDefault('V') is not { Length: > 0 } version)
            {
                continue;
            }
            var architecture = fields.GetValueOrDefault('A');
            var purl = PackageUrl.Create("apk", distribution?.Id ?? "alpine", name, version,
                [("arch", architecture), ("distro", distribution?.Qualifier)]);
            yield return new Package("apk", name, version, purl) { Architecture = architecture, Homepage = fields.GetValueOrDefault('U'), FoundIn = foundIn };
        }
    }

    /// <summary>A Python distribution's core metadata (RFC 822 headers up to the first blank line).</summary>
    public static Package? ParsePython(string text, string foundIn)
    {
        var fields = DebianFields(text.Replace("\r\n", "\n").Split('\n').TakeWhile(l => l.Length > 0).ToList());
        if (fields.GetValueOrDefault("Name") is not { Length: > 0 } name || fields.GetValueOrDefault("Version") is not { Length: > 0 } version)
        {
            return null;
        }
        // PEP 503 normalisation, as the pypi purl type asks.
        var normalized = PythonNameSeparators().Replace(name, "-").ToLowerInvariant();
        return new Package("pypi", name, version, PackageUrl.Create("pypi", null, normalized, version, []))
        {
            Homepage = fields.GetValueOrDefault("Home-page"),
            FoundIn = foundIn,
        };
    }

    public static Distribution? ParseOsRelease(byte[] content)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in Encoding.UTF8.GetString(content).Split('\n'))
        {
            var equals = line.IndexOf('=');
            if (equals > 0 && !line.StartsWith('#'))
            {
                values[line[..equals].Trim()] = line[(equals + 1)..].Trim().Trim('"', '\'');
            }
        }
        return values.GetValueOrDefault("ID") is { Length: > 0 } id ? new Distribution(id, values.GetValueOrDefault("VERSION_ID")) : null;
    }

    /// <summary>Blank-line separated paragraphs of lines.</summary>
    private static IEnumerable<List<string>> Paragraphs(string text)
    {
        var paragraph = new List<string>();
        foreach (var line in text.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.Trim().Length == 0)
            {
                if (paragraph.Count > 0)
                {
                    yield return paragraph;
                    paragraph = [];
                }
                continue;
            }
            paragraph.Add(line);
        }
        if (paragraph.Count > 0)
        {
            yield return paragraph;
        }
    }

    /// <summary>"Key: value" lines, continuation lines (leading space or tab) folded into the previous field.</summary>
    private static Dictionary<string, string> DebianFields(List<string> lines)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? current = null;
        foreach (var line in lines)
        {
            if (line.Length > 0 && (line[0] == ' ' || line[0] == '\t'))
            {
                if (current is not null)
                {
                    fields[current] += "\n" + line.Trim();
                }
                continue;
            }
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                current = null;
                continue;
            }
            current = line[..colon].Trim();
            // The first occurrence wins (METADATA repeats keys such as Classifier; the ones we read are single).
            if (!fields.TryAdd(current, line[(colon + 1)..].Trim()))
            {
                current = null;
            }
        }
        return fields;
    }

    [GeneratedRegex(@"(^|/)(site|dist)-packages/[^/]+\.(dist-info/METADATA|egg-info/PKG-INFO|egg-info)$")]
    private static partial Regex PythonMetadataPath();

    [GeneratedRegex(@"[-_.]+")]
    private static partial Regex PythonNameSeparators();
}
