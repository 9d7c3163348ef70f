namespace Builder.Oci.Layers;

/// <summary>How <see cref="LayerWriter"/> writes a layer.</summary>
public sealed record LayerWriterOptions
{
    public LayerCompression Compression { get; init; } = LayerCompression.Gzip;

    /// <summary>Null is the default: gzip 6 (as <c>gzip</c> and Go's DefaultCompression), zstd 3.</summary>
    public int? CompressionLevel { get; init; }

    /// <summary>Modification times later than this are written as this (SOURCE_DATE_EPOCH, reproducible builds).</summary>
    public DateTimeOffset? SourceDateEpoch { get; init; }

    /// <summary>
    /// Threads compressing at once. Speed only: the bytes written, and so the digest, are the same for any value.
    /// </summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Which extended attributes a directory scan keeps; the default drops host-only ones.</summary>
    public Func<string, bool> IncludeXattr { get; init; } = IsPortableXattr;

    /// <summary>
    /// False for attributes that describe the host rather than the file: SELinux labels and overlayfs'
    /// own bookkeeping (<c>trusted.overlay.*</c>, <c>user.overlay.*</c>).
    /// </summary>
    public static bool IsPortableXattr(string name) =>
        name != "security.selinux"
        && !name.StartsWith("trusted.overlay.", StringComparison.Ordinal)
        && !name.StartsWith("user.overlay.", StringComparison.Ordinal);

    /// <summary>The SOURCE_DATE_EPOCH environment variable as a clamp, or null when unset or empty.</summary>
    public static DateTimeOffset? SourceDateEpochFromEnvironment() => ParseSourceDateEpoch(Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"));

    /// <summary>A SOURCE_DATE_EPOCH value (decimal seconds since 1970); null or empty means unset.</summary>
    public static DateTimeOffset? ParseSourceDateEpoch(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
        {
            throw new FormatException($"SOURCE_DATE_EPOCH \"{text}\" is not a number of seconds");
        }
        return seconds <= DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : throw new FormatException($"SOURCE_DATE_EPOCH \"{text}\" is past the year 9999");
    }
}
