using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Builder.Oci.Images;

/// <summary>
/// A point in time as Go writes it (RFC 3339 with up to nine fractional digits). <see cref="DateTimeOffset"/>
/// keeps only 100 ns ticks; the rest is kept beside it so that a config read from a registry is written back with
/// the same timestamps.
/// </summary>
[JsonConverter(typeof(TimestampJsonConverter))]
public readonly partial record struct Timestamp : IComparable<Timestamp>
{
    public Timestamp(DateTimeOffset value)
        : this(value, 0)
    {
    }

    private Timestamp(DateTimeOffset value, int subTickNanoseconds)
    {
        Value = value;
        SubTickNanoseconds = subTickNanoseconds;
    }

    /// <summary>The time, to the 100 ns tick, in the offset it was written with.</summary>
    public DateTimeOffset Value { get; }

    /// <summary>Nanoseconds below one tick (0-99).</summary>
    public int SubTickNanoseconds { get; }

    public static implicit operator Timestamp(DateTimeOffset value) => new(value);

    /// <summary>Seconds since the Unix epoch, in UTC (SOURCE_DATE_EPOCH).</summary>
    public static Timestamp FromUnixSeconds(long seconds) => new(DateTimeOffset.FromUnixTimeSeconds(seconds));

    public int CompareTo(Timestamp other)
    {
        var byValue = Value.CompareTo(other.Value);
        return byValue != 0 ? byValue : SubTickNanoseconds.CompareTo(other.SubTickNanoseconds);
    }

    /// <summary>Go's RFC3339Nano: trailing zeros of the fraction dropped, <c>Z</c> for a zero offset.</summary>
    public override string ToString()
    {
        var text = Value.DateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture);
        var nanoseconds = Value.Ticks % TimeSpan.TicksPerSecond * 100 + SubTickNanoseconds;
        if (nanoseconds != 0)
        {
            text += "." + nanoseconds.ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0');
        }
        var offset = Value.Offset;
        return offset == TimeSpan.Zero
            ? text + "Z"
            : text + (offset < TimeSpan.Zero ? "-" : "+") + offset.ToString(@"hh\:mm", CultureInfo.InvariantCulture);
    }

    public static Timestamp Parse(string text) =>
        TryParse(text, out var timestamp) ? timestamp : throw new FormatException($"invalid timestamp \"{text}\": expected RFC 3339");

    public static bool TryParse(string? text, out Timestamp timestamp)
    {
        timestamp = default;
        var match = text is null ? null : Rfc3339().Match(text);
        if (match is not { Success: true }
            || !DateTime.TryParseExact(match.Groups[1].Value, "yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var clock))
        {
            return false;
        }
        var zone = match.Groups[3].Value;
        var offset = zone is "Z" or "z"
            ? TimeSpan.Zero
            : new TimeSpan(int.Parse(zone[1..3], CultureInfo.InvariantCulture), int.Parse(zone[4..6], CultureInfo.InvariantCulture), 0);
        if (zone.StartsWith('-'))
        {
            offset = -offset;
        }
        // Go reads at most nanoseconds; digits beyond nine are dropped as it does.
        var fraction = match.Groups[2].Value;
        var nanoseconds = fraction.Length == 0 ? 0 : long.Parse(fraction.PadRight(9, '0')[..9], CultureInfo.InvariantCulture);
        try
        {
            timestamp = new Timestamp(new DateTimeOffset(clock.AddTicks(nanoseconds / 100), offset), (int)(nanoseconds % 100));
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^([0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]+))?([Zz]|[+-][0-9]{2}:[0-9]{2})\z", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();
}

internal sealed class TimestampJsonConverter : JsonConverter<Timestamp>
{
    public override Timestamp Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Timestamp.TryParse(reader.GetString(), out var timestamp) ? timestamp : throw new JsonException($"invalid timestamp \"{reader.GetString()}\"");

    public override void Write(Utf8JsonWriter writer, Timestamp value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
