using System.Globalization;
using System.Text.Json;
using Builder.Oci;
using Builder.Oci.References;

namespace Builder.Signing.Provenance;

/// <summary>An image the build read (a base image, a COPY --from image) and the digest its name resolved to.</summary>
public sealed record BuildMaterial(string Uri, Digest Digest)
{
    /// <summary>
    /// A material for an image reference, named by a docker package URL as BuildKit's provenance names them:
    /// <c>pkg:docker/debian@bookworm?platform=linux%2Famd64</c>, with <c>repository_url</c> off Docker Hub.
    /// </summary>
    public static BuildMaterial ForImage(ImageReference reference, Digest digest, Platform platform)
    {
        var onHub = reference.Registry == ImageReference.DefaultRegistry;
        var version = reference.Tag ?? reference.Digest?.ToString() ?? ImageReference.DefaultTag;
        var path = onHub ? reference.FamiliarName : reference.Repository;
        var slash = path.LastIndexOf('/');
        var uri = Sbom.PackageUrl.Create("docker", slash < 0 ? null : path[..slash], path[(slash + 1)..], version,
            [("platform", platform.ToString()), ("repository_url", onHub ? null : reference.Name)]);
        return new BuildMaterial(uri, digest);
    }
}

/// <summary>What a build was asked, read and made: the facts a SLSA provenance statement records.</summary>
public sealed record BuildProvenance
{
    /// <summary>The images made: a name (a tag, or the digest) and the manifest digest.</summary>
    public required IReadOnlyList<ImageSubject> Subjects { get; init; }

    /// <summary>The Dockerfile as the build named it, relative to the context when inside it.</summary>
    public required string DockerfilePath { get; init; }

    public required Digest DockerfileDigest { get; init; }

    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();

    public string? Target { get; init; }

    public required string Platform { get; init; }

    public IReadOnlyList<BuildMaterial> Materials { get; init; } = [];

    public required string BuilderVersion { get; init; }

    public required DateTimeOffset StartedOn { get; init; }

    public required DateTimeOffset FinishedOn { get; init; }
}

/// <summary>An in-toto v1 statement with a SLSA v1 provenance predicate, as JSON.</summary>
public static class ProvenanceStatement
{
    public const string StatementType = "https://in-toto.io/Statement/v1";
    public const string PredicateType = "https://slsa.dev/provenance/v1";

    /// <summary>How a Dockerfile build is parameterised (the SLSA buildType that gives the parameters their meaning).</summary>
    public const string BuildType = "urn:builder:buildtype:dockerfile:v1";

    public const string BuilderId = "urn:builder:cli";

    public static byte[] Write(BuildProvenance build)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("_type", StatementType);
            json.WriteStartArray("subject");
            foreach (var subject in build.Subjects)
            {
                json.WriteStartObject();
                json.WriteString("name", subject.Name);
                WriteDigest(json, subject.Digest);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteString("predicateType", PredicateType);

            json.WriteStartObject("predicate");
            json.WriteStartObject("buildDefinition");
            json.WriteString("buildType", BuildType);
            json.WriteStartObject("externalParameters");
            json.WriteStartObject("configSource");
            json.WriteString("path", build.DockerfilePath);
            WriteDigest(json, build.DockerfileDigest);
            json.WriteEndObject();
            json.WriteStartObject("request");
            json.WriteStartObject("args");
            foreach (var (key, value) in build.BuildArgs.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                json.WriteString(key, value);
            }
            json.WriteEndObject();
            if (build.Target is { } target)
            {
                json.WriteString("target", target);
            }
            json.WriteString("platform", build.Platform);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartArray("resolvedDependencies");
            foreach (var material in build.Materials.DistinctBy(m => (m.Uri, m.Digest)).OrderBy(m => m.Uri, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("uri", material.Uri);
                WriteDigest(json, material.Digest);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();

            json.WriteStartObject("runDetails");
            json.WriteStartObject("builder");
            json.WriteString("id", BuilderId);
            json.WriteStartObject("version");
            json.WriteString("builder", build.BuilderVersion);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartObject("metadata");
            json.WriteString("invocationId", Guid.NewGuid().ToString());
            json.WriteString("startedOn", Time(build.StartedOn));
            json.WriteString("finishedOn", Time(build.FinishedOn));
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteDigest(Utf8JsonWriter json, Digest digest)
    {
        json.WriteStartObject("digest");
        json.WriteString(digest.Algorithm, digest.Hex);
        json.WriteEndObject();
    }

    private static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
