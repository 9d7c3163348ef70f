namespace Builder.Signing.Sbom;

/// <summary>A package found in an image: its ecosystem (<c>deb</c>, <c>apk</c>, <c>pypi</c>), name, version and package URL.</summary>
public sealed record Package(string Type, string Name, string Version, string Purl)
{
    public string? Architecture { get; init; }

    public string? Homepage { get; init; }

    /// <summary>The database it was read from, as a path in the image (<c>/var/lib/dpkg/status</c>).</summary>
    public required string FoundIn { get; init; }
}

/// <summary>The distribution an image says it is (os-release), for package URLs.</summary>
public sealed record Distribution(string Id, string? VersionId)
{
    /// <summary>The <c>distro</c> qualifier of a package URL: <c>debian-12</c>.</summary>
    public string Qualifier => VersionId is null ? Id : $"{Id}-{VersionId}";
}

/// <summary>Package URLs (purl-spec): <c>pkg:type/namespace/name@version?qualifiers</c>, components percent-encoded.</summary>
public static class PackageUrl
{
    public static string Create(string type, string? @namespace, string name, string? version, IEnumerable<(string Key, string? Value)> qualifiers)
    {
        var text = new System.Text.StringBuilder("pkg:").Append(type).Append('/');
        if (@namespace is not null)
        {
            text.AppendJoin('/', @namespace.Split('/').Select(Uri.EscapeDataString)).Append('/');
        }
        text.Append(Uri.EscapeDataString(name));
        if (version is not null)
        {
            text.Append('@').Append(Uri.EscapeDataString(version));
        }
        // The spec sorts qualifiers by key and leaves out empty ones.
        var present = qualifiers.Where(q => !string.IsNullOrEmpty(q.Value)).OrderBy(q => q.Key, StringComparer.Ordinal).ToList();
        if (present.Count > 0)
        {
            text.Append('?').AppendJoin('&', present.Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value!)}"));
        }
        return text.ToString();
    }
}
