using Builder.Oci.References;

namespace Builder.Engine;

/// <summary>What a named context (<c>--build-context NAME=VALUE</c>) is.</summary>
public enum NamedContextKind
{
    /// <summary>A local directory: the files of <c>COPY --from=NAME</c>, or the root file system of <c>FROM NAME</c>.</summary>
    Directory,

    /// <summary><c>docker-image://REF</c>: that image instead of the one named.</summary>
    Image,

    /// <summary><c>oci-layout://DIR[:TAG|@DIGEST]</c>: an image of a local OCI layout.</summary>
    OciLayout,
}

/// <summary>
/// <c>--build-context NAME=DIR|docker-image://REF|oci-layout://DIR[:TAG|@DIGEST]</c>, as BuildKit has it: replaces what
/// <c>FROM NAME</c> and <c>COPY --from=NAME</c> (and <c>RUN --mount from=NAME</c>) read — the base image, or an image
/// copied from — with a directory, another image or an image of an OCI layout. A stage of that name is not replaced.
/// </summary>
public sealed record NamedContext(string Name, NamedContextKind Kind, string Value, string? Tag = null, Oci.Digest? Digest = null)
{
    /// <summary>The directory a local or OCI-layout context names, which must exist.</summary>
    public string ExistingDirectory() => System.IO.Directory.Exists(Value) ? Value
        : throw new BuildException($"--build-context {Name}: {(Kind == NamedContextKind.OciLayout ? "oci-layout " : "")}{Value}: no such directory");

    /// <summary>Parses <c>NAME=VALUE</c>; a <see cref="FormatException"/> says what is wrong.</summary>
    public static NamedContext Parse(string text)
    {
        var equals = text.IndexOf('=');
        if (equals <= 0 || equals == text.Length - 1)
        {
            throw new FormatException($"--build-context {text}: expected NAME=DIR, NAME=docker-image://REF or NAME=oci-layout://DIR[:TAG|@DIGEST]");
        }
        var (name, value) = (text[..equals], text[(equals + 1)..]);
        const string ImageScheme = "docker-image://", LayoutScheme = "oci-layout://";
        if (value.StartsWith(ImageScheme, StringComparison.Ordinal))
        {
            var reference = value[ImageScheme.Length..];
            return ImageReference.TryParse(reference, out _, out var error)
                ? new NamedContext(name, NamedContextKind.Image, reference)
                : throw new FormatException($"--build-context {name}: {error}");
        }
        if (value.StartsWith(LayoutScheme, StringComparison.Ordinal))
        {
            var path = value[LayoutScheme.Length..];
            var at = path.LastIndexOf('@');
            if (at > 0)
            {
                return Oci.Digest.TryParse(path[(at + 1)..], out var digest)
                    ? new NamedContext(name, NamedContextKind.OciLayout, path[..at], Digest: digest)
                    : throw new FormatException($"--build-context {name}: {path[(at + 1)..]} is not a digest");
            }
            // DIR:TAG — a colon after the last slash (a directory name may hold one, a tag never holds a slash).
            var colon = path.LastIndexOf(':');
            return colon > path.LastIndexOf('/') && colon > 0
                ? new NamedContext(name, NamedContextKind.OciLayout, path[..colon], Tag: path[(colon + 1)..])
                : new NamedContext(name, NamedContextKind.OciLayout, path);
        }
        if (value.Contains("://", StringComparison.Ordinal))
        {
            throw new FormatException($"--build-context {name}: unsupported source {value} (a directory, docker-image:// or oci-layout://)");
        }
        return new NamedContext(name, NamedContextKind.Directory, value);
    }
}
