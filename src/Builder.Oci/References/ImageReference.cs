using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Builder.Oci.References;

/// <summary>
/// A normalised image reference, <c>registry/repository[:tag][@digest]</c>, parsed with docker's grammar and
/// normalisation (distribution/reference <c>ParseNormalizedNamed</c>): <c>busybox</c> is
/// <c>docker.io/library/busybox:latest</c>; the first path component is a registry only when it has a <c>.</c> or a
/// <c>:</c>, is <c>localhost</c>, or has upper-case letters. A reference without tag or digest gets <c>latest</c>.
/// </summary>
public sealed partial record ImageReference
{
    public const string DefaultRegistry = "docker.io";
    public const string DefaultTag = "latest";
    public const int NameMaxLength = 255;

    private const string LegacyDefaultRegistry = "index.docker.io";
    private const string OfficialRepositoryPrefix = "library/";

    private ImageReference(string registry, string repository, string? tag, Digest? digest)
    {
        Registry = registry;
        Repository = repository;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>The registry host, with its port if any: <c>docker.io</c>, <c>localhost:5000</c>, <c>[::1]:5000</c>.</summary>
    public string Registry { get; }

    /// <summary>The repository path within the registry: <c>library/busybox</c>.</summary>
    public string Repository { get; }

    public string? Tag { get; }

    public Digest? Digest { get; }

    /// <summary>Registry and repository: <c>docker.io/library/busybox</c>.</summary>
    public string Name => $"{Registry}/{Repository}";

    /// <summary>Docker's short form of <see cref="Name"/>: <c>busybox</c>, <c>user/repo</c>, <c>ghcr.io/a/b</c>.</summary>
    public string FamiliarName
    {
        get
        {
            if (Registry != DefaultRegistry)
            {
                return Name;
            }
            var official = Repository.StartsWith(OfficialRepositoryPrefix, StringComparison.Ordinal)
                && Repository.IndexOf('/', OfficialRepositoryPrefix.Length) < 0;
            return official ? Repository[OfficialRepositoryPrefix.Length..] : Repository;
        }
    }

    /// <summary>Docker's short form of the whole reference: <c>busybox:latest</c>.</summary>
    public string FamiliarString => FamiliarName + Suffix;

    /// <summary>The canonical form: <c>docker.io/library/busybox:latest</c>, <c>host/a@sha256:...</c>.</summary>
    public override string ToString() => Name + Suffix;

    private string Suffix => (Tag is null ? "" : ":" + Tag) + (Digest is { } digest ? "@" + digest : "");

    public ImageReference WithTag(string tag) =>
        IsTag(tag) ? new(Registry, Repository, tag, Digest) : throw new FormatException(InvalidTagMessage(tag));

    public ImageReference WithDigest(Digest digest) => new(Registry, Repository, Tag, digest);

    /// <summary>The same repository with neither tag nor digest (it is not a valid reference on its own).</summary>
    public ImageReference WithoutTagOrDigest() => new(Registry, Repository, null, null);

    public static ImageReference Parse(string text) =>
        TryParse(text, out var reference, out var error) ? reference : throw new FormatException(error);

    public static bool TryParse(string? text, [NotNullWhen(true)] out ImageReference? reference) =>
        TryParse(text, out reference, out _);

    public static bool TryParse(string? text, [NotNullWhen(true)] out ImageReference? reference, [NotNullWhen(false)] out string? error)
    {
        reference = null;
        if (string.IsNullOrEmpty(text))
        {
            error = "invalid image reference: the reference is empty";
            return false;
        }
        error = Invalid(text, Check(text, out var registry, out var repository, out var tag, out var digest));
        if (error is not null)
        {
            return false;
        }
        reference = new ImageReference(registry, repository, tag ?? (digest is null ? DefaultTag : null), digest);
        return true;
    }

    private static string? Invalid(string text, string? reason) => reason is null ? null : $"invalid image reference \"{text}\": {reason}";

    private static string? Check(string text, out string registry, out string repository, out string? tag, out Digest? digest)
    {
        (registry, repository, tag, digest) = ("", "", null, null);
        if (Identifier().IsMatch(text))
        {
            return "a repository name cannot be a 64-character hexadecimal string (that is an image id)";
        }
        (registry, var remainder) = SplitRegistry(text);

        var at = remainder.IndexOf('@');
        var digestText = at < 0 ? null : remainder[(at + 1)..];
        var named = at < 0 ? remainder : remainder[..at];
        var colon = named.IndexOf(':');
        tag = colon < 0 ? null : named[(colon + 1)..];
        repository = colon < 0 ? named : named[..colon];

        if (!Host().IsMatch(registry))
        {
            return $"\"{registry}\" is not a valid registry host[:port]";
        }
        if (repository.Length == 0)
        {
            return "the repository name is empty";
        }
        if (!repository.Equals(repository.ToLowerInvariant(), StringComparison.Ordinal))
        {
            return $"repository name \"{repository}\" must be lowercase";
        }
        foreach (var component in repository.Split('/'))
        {
            if (!PathComponent().IsMatch(component))
            {
                return component.Length == 0
                    ? $"repository name \"{repository}\" has an empty path component"
                    : $"path component \"{component}\" must be lower-case letters and digits separated by '.', '_', '__' or dashes";
            }
        }
        if (registry.Length + 1 + repository.Length > NameMaxLength)
        {
            return $"repository name must not be more than {NameMaxLength} characters";
        }
        if (tag is not null && !IsTag(tag))
        {
            return $"\"{tag}\" is not a valid tag: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'";
        }
        if (digestText is not null)
        {
            if (!DigestGrammar().IsMatch(digestText))
            {
                return $"\"{digestText}\" is not a valid digest: expected algorithm:hex";
            }
            if (!Oci.Digest.TryParse(digestText, out var parsed))
            {
                try
                {
                    Oci.Digest.Parse(digestText);
                }
                catch (FormatException e)
                {
                    return e.Message;
                }
            }
            digest = parsed;
        }
        return null;
    }

    /// <summary>docker's splitDockerDomain.</summary>
    private static (string Registry, string Remainder) SplitRegistry(string name)
    {
        var slash = name.IndexOf('/');
        string registry, remainder;
        if (slash < 0 || IsRepositoryComponent(name[..slash]))
        {
            (registry, remainder) = (DefaultRegistry, name);
        }
        else
        {
            (registry, remainder) = (name[..slash], name[(slash + 1)..]);
        }
        if (registry == LegacyDefaultRegistry)
        {
            registry = DefaultRegistry;
        }
        if (registry == DefaultRegistry && !remainder.Contains('/'))
        {
            remainder = OfficialRepositoryPrefix + remainder;
        }
        return (registry, remainder);

        static bool IsRepositoryComponent(string first) =>
            first.IndexOfAny(['.', ':']) < 0 && first != "localhost" && first.Equals(first.ToLowerInvariant(), StringComparison.Ordinal);
    }

    private static bool IsTag(string tag) => TagGrammar().IsMatch(tag);

    private static string InvalidTagMessage(string tag) => $"\"{tag}\" is not a valid tag";

    [GeneratedRegex("^[a-f0-9]{64}\\z")]
    private static partial Regex Identifier();

    // domain-name components, an IPv4 address (which they also match) or a bracketed IPv6 address; optional port.
    [GeneratedRegex(@"^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?\z")]
    private static partial Regex Host();

    [GeneratedRegex("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*\\z")]
    private static partial Regex PathComponent();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\\z")]
    private static partial Regex TagGrammar();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}\\z")]
    private static partial Regex DigestGrammar();
}
