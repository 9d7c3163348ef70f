using System.Globalization;
using Builder.Engine;
using Builder.Oci;
using Builder.Oci.Content;
using Builder.Oci.Images;
using Builder.Oci.References;

namespace Builder.Cli;

/// <summary>
/// The local store as the verbs use it: the engine's host (the store at BUILDER_ROOT under a lease of the verb's own,
/// and the sandbox for verbs that run steps), and images found by name or ID.
/// </summary>
internal sealed class LocalImages : IDisposable
{
    private LocalImages(EngineHost host) => Host = host;

    public EngineHost Host { get; }

    public OciLayoutStore Store => Host.Store;

    public StoreLease Lease => Host.Lease;

    public static async Task<LocalImages> OpenAsync(CancellationToken cancellationToken) =>
        new(await EngineHost.OpenAsync(cancellationToken));

    public void Dispose() => Host.Dispose();

    /// <summary>
    /// The image <paramref name="text"/> names: a reference (<c>busybox</c>, <c>host:5000/app:1</c>), or an image
    /// ID or manifest digest, whole or a prefix of at least 4 hex digits, as docker accepts.
    /// </summary>
    public async Task<(ImageReference? Name, Descriptor Target)> FindAsync(string text, CancellationToken cancellationToken)
    {
        if (ImageReference.TryParse(text, out var reference) && await Store.GetAsync(reference, cancellationToken) is { } target)
        {
            return (reference, target);
        }
        var hex = text.StartsWith("sha256:", StringComparison.Ordinal) ? text[7..] : text;
        if (hex.Length >= 4 && hex.All(char.IsAsciiHexDigit))
        {
            foreach (var tagged in await Store.ListAsync(cancellationToken))
            {
                if (tagged.Target.Digest.Hex.StartsWith(hex, StringComparison.Ordinal))
                {
                    return (ImageReference.Parse(tagged.Name), tagged.Target);
                }
                var image = await StoredImage.LoadAsync(Store, tagged.Target, null, cancellationToken);
                if (image.Id.Hex.StartsWith(hex, StringComparison.Ordinal))
                {
                    return (ImageReference.Parse(tagged.Name), tagged.Target);
                }
            }
        }
        throw new ImageNotFoundException(text);
    }

    public static string ShortId(Digest digest) => digest.Hex[..12];

    public static string HumanSize(long bytes) => bytes switch
    {
        < 1000 => $"{bytes}B",
        < 1000 * 1000 => (bytes / 1000.0).ToString("0.##", CultureInfo.InvariantCulture) + "kB",
        < 1000L * 1000 * 1000 => (bytes / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "MB",
        _ => (bytes / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + "GB",
    };

    public static string HumanAge(DateTimeOffset? time)
    {
        if (time is null)
        {
            return "N/A";
        }
        var age = DateTimeOffset.UtcNow - time.Value;
        return age.TotalSeconds switch
        {
            < 60 => "Less than a minute ago",
            < 3600 => $"{(int)age.TotalMinutes} minutes ago",
            < 86400 * 2 => $"{(int)age.TotalHours} hours ago",
            < 86400 * 60 => $"{(int)age.TotalDays} days ago",
            < 86400 * 730 => $"{(int)(age.TotalDays / 30)} months ago",
            _ => $"{(int)(age.TotalDays / 365)} years ago",
        };
    }
}

/// <summary>No image in the store has that name or ID (exit code 1).</summary>
internal sealed class ImageNotFoundException(string name) : Exception($"no such image: {name}");
