using System.Globalization;
using Sprache;

namespace Builder.Dockerfile.Binding;

/// <summary>
/// Go's time.ParseDuration, which Docker uses for HEALTHCHECK intervals and buildx for <c>--keep-duration</c>:
/// <c>1m30s</c>, <c>1.5h</c>, <c>300ms</c>. Public for the CLI's duration flags.
/// </summary>
public static class GoDuration
{
    private static readonly Parser<string> Number =
        from whole in Sprache.Parse.Digit.Many().Text()
        from fraction in Sprache.Parse.Char('.').Then(_ => Sprache.Parse.Digit.Many().Text()).Optional()
        where whole.Length > 0 || fraction.GetOrDefault()?.Length > 0
        select fraction.IsDefined ? $"{whole}.{fraction.Get()}" : whole;

    private static readonly Parser<string> Unit =
        Sprache.Parse.Char(c => !char.IsAsciiDigit(c) && c != '.', "unit").AtLeastOnce().Text();

    private static readonly Parser<(string Number, string Unit)> Part =
        from number in Number
        from unit in Unit.Optional()
        select (number, unit.GetOrElse(string.Empty));

    private static readonly Parser<(char Sign, IEnumerable<(string Number, string Unit)> Parts)> Duration =
        from sign in Sprache.Parse.Chars('-', '+').Optional()
        from parts in Part.AtLeastOnce().End()
        select (sign.IsDefined ? sign.Get() : '+', parts);

    /// <summary>The duration, or an error message worded as Go's.</summary>
    public static TimeSpan Parse(string text)
    {
        if (text == "0")
        {
            return TimeSpan.Zero;
        }
        var result = Duration.TryParse(text);
        if (!result.WasSuccessful)
        {
            throw new FormatException($"time: invalid duration \"{text}\"");
        }
        var ticks = 0m;
        foreach (var (number, unit) in result.Value.Parts)
        {
            var scale = unit switch
            {
                "ns" => 0.01m,
                "us" or "µs" or "μs" => 10m,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                "" => throw new FormatException($"time: missing unit in duration \"{text}\""),
                _ => throw new FormatException($"time: unknown unit \"{unit}\" in duration \"{text}\""),
            };
            // Too many digits for a decimal is as out of range as too many hours (and neither may overflow).
            if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value > TimeSpan.MaxValue.Ticks / scale)
            {
                throw new FormatException($"time: invalid duration \"{text}\"");
            }
            ticks += value * scale;
        }
        if (ticks > TimeSpan.MaxValue.Ticks)
        {
            throw new FormatException($"time: invalid duration \"{text}\"");
        }
        var span = TimeSpan.FromTicks((long)ticks);
        return result.Value.Sign == '-' ? span.Negate() : span;
    }
}
