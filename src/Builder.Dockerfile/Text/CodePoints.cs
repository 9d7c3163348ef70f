using System.Text;

namespace Builder.Dockerfile.Text;

/// <summary>
/// Helpers for working on Unicode code points instead of UTF-16 units: BuildKit and moby iterate Go runes,
/// so a <c>?</c> must consume a whole astral character and reversing a string must keep surrogate pairs.
/// Lone surrogates are kept as their own (invalid) code point rather than replaced.
/// </summary>
internal static class CodePoints
{
    public static int[] Decode(string text)
    {
        var result = new List<int>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                result.Add(char.ConvertToUtf32(c, text[i + 1]));
                i++;
            }
            else
            {
                result.Add(c);
            }
        }

        return [.. result];
    }

    public static void Append(StringBuilder builder, int codePoint)
    {
        if (codePoint < 0x10000)
        {
            builder.Append((char)codePoint);
        }
        else
        {
            builder.Append(char.ConvertFromUtf32(codePoint));
        }
    }

    public static void Append(StringBuilder builder, ReadOnlySpan<int> codePoints)
    {
        foreach (var codePoint in codePoints)
        {
            Append(builder, codePoint);
        }
    }

    public static string Encode(ReadOnlySpan<int> codePoints)
    {
        var builder = new StringBuilder(codePoints.Length);
        Append(builder, codePoints);
        return builder.ToString();
    }

    public static string ToString(int codePoint) =>
        codePoint < 0x10000 ? ((char)codePoint).ToString() : char.ConvertFromUtf32(codePoint);

    public static bool IsLetter(int codePoint) => Rune.IsValid(codePoint) && Rune.IsLetter(new Rune(codePoint));

    /// <summary>Decimal digits of any script (Unicode Nd), as Go's <c>unicode.IsDigit</c>.</summary>
    public static bool IsDigit(int codePoint) => Rune.IsValid(codePoint) && Rune.IsDigit(new Rune(codePoint));

    /// <summary>The Unicode White_Space set, which is what Go's <c>unicode.IsSpace</c> tests.</summary>
    public static bool IsWhiteSpace(int codePoint) => Rune.IsValid(codePoint) && Rune.IsWhiteSpace(new Rune(codePoint));
}
