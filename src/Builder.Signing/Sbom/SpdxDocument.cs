using System.Globalization;
using System.Text;
using System.Text.Json;
using Builder.Oci;
using Builder.Oci.Images;

namespace Builder.Signing.Sbom;

/// <summary>
/// An SPDX 2.3 JSON document: the image as the described package (purpose CONTAINER) that CONTAINS every package
/// found in it, each with its version and package URL. Licences are NOASSERTION: package databases do not state
/// them reliably enough to conclude.
/// </summary>
public static class SpdxDocument
{
    public const string ImageId = "SPDXRef-Image";

    /// <summary>Scans <paramref name="layers"/> (base first) for packages and writes the SBOM; also says how many it lists.</summary>
    public static async Task<(byte[] Document, int Packages)> CreateAsync(
        ImageSubject subject, IReadOnlyList<ILayer> layers, DateTimeOffset created, string toolVersion, CancellationToken cancellationToken)
    {
        var files = await ImageFiles.ReadAsync(layers, PackageDatabases.IsDatabase, cancellationToken).ConfigureAwait(false);
        var packages = PackageDatabases.Catalogue(files);
        return (Write(subject, packages, created, toolVersion), packages.Count);
    }

    public static byte[] Write(ImageSubject subject, IReadOnlyList<Package> packages, DateTimeOffset created, string toolVersion)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("spdxVersion", "SPDX-2.3");
            json.WriteString("dataLicense", "CC0-1.0");
            json.WriteString("SPDXID", "SPDXRef-DOCUMENT");
            json.WriteString("name", subject.Name);
            // Unique per image: the same image always gets the same namespace, a different one never does.
            json.WriteString("documentNamespace", $"https://spdx.org/spdxdocs/builder/{subject.Digest.Algorithm}-{subject.Digest.Hex}");
            json.WriteStartObject("creationInfo");
            json.WriteString("created", created.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            json.WriteStartArray("creators");
            json.WriteStringValue($"Tool: builder-{toolVersion}");
            json.WriteEndArray();
            json.WriteEndObject();

            json.WriteStartArray("packages");
            WriteImage(json, subject);
            var ids = new List<string>();
            foreach (var package in packages)
            {
                var id = $"SPDXRef-{package.Type}-{IdSafe(package.Name)}-{ids.Count + 1}";
                ids.Add(id);
                WritePackage(json, package, id);
            }
            json.WriteEndArray();

            json.WriteStartArray("relationships");
            WriteRelationship(json, "SPDXRef-DOCUMENT", "DESCRIBES", ImageId);
            foreach (var id in ids)
            {
                WriteRelationship(json, ImageId, "CONTAINS", id);
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteImage(Utf8JsonWriter json, ImageSubject subject)
    {
        json.WriteStartObject();
        json.WriteString("name", subject.Name);
        json.WriteString("SPDXID", ImageId);
        json.WriteString("versionInfo", subject.Digest.ToString());
        json.WriteString("downloadLocation", "NOASSERTION");
        json.WriteBoolean("filesAnalyzed", false);
        json.WriteString("primaryPackagePurpose", "CONTAINER");
        json.WriteStartArray("checksums");
        json.WriteStartObject();
        json.WriteString("algorithm", subject.Digest.Algorithm.ToUpperInvariant());
        json.WriteString("checksumValue", subject.Digest.Hex);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WritePackage(Utf8JsonWriter json, Package package, string id)
    {
        json.WriteStartObject();
        json.WriteString("name", package.Name);
        json.WriteString("SPDXID", id);
        json.WriteString("versionInfo", package.Version);
        json.WriteString("downloadLocation", "NOASSERTION");
        json.WriteBoolean("filesAnalyzed", false);
        if (package.Homepage is { } homepage && Uri.TryCreate(homepage, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            json.WriteString("homepage", homepage);
        }
        json.WriteString("licenseConcluded", "NOASSERTION");
        json.WriteString("licenseDeclared", "NOASSERTION");
        json.WriteString("copyrightText", "NOASSERTION");
        json.WriteString("sourceInfo", $"found in {package.FoundIn}");
        json.WriteStartArray("externalRefs");
        json.WriteStartObject();
        json.WriteString("referenceCategory", "PACKAGE-MANAGER");
        json.WriteString("referenceType", "purl");
        json.WriteString("referenceLocator", package.Purl);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteRelationship(Utf8JsonWriter json, string from, string type, string to)
    {
        json.WriteStartObject();
        json.WriteString("spdxElementId", from);
        json.WriteString("relationshipType", type);
        json.WriteString("relatedSpdxElement", to);
        json.WriteEndObject();
    }

    /// <summary>SPDX identifiers allow letters, digits, '.' and '-' only.</summary>
    private static string IdSafe(string name)
    {
        var safe = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            safe.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '-');
        }
        return safe.ToString();
    }
}
