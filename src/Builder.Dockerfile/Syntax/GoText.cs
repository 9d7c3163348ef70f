using System.Globalization;
using System.Text;

namespace Builder.Dockerfile.Syntax;

/// <summary>
/// Character classes and quoting exactly as BuildKit's Go code sees them, so that our word boundaries and
/// dump output match it byte for byte.
/// </summary>
internal static class GoText
{
    /// <summary>Go's unicode.IsSpace.</summary>
    public static bool IsSpace(char c) => c switch
    {
        '\t' or '\n' or '\v' or '\f' or '\r' or ' ' or '\u0085' or '\u00A0' => true,
        _ => c > '\u00ff' && char.GetUnicodeCategory(c) is UnicodeCategory.SpaceSeparator
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator,
    };

    /// <summary>The <c>[\t\v\f\r ]</c> class BuildKit splits arguments on.</summary>
    public static bool IsArgumentSeparator(char c) => c is '\t' or '\v' or '\f' or '\r' or ' ';

    /// <summary>RE2's <c>\s</c>: <c>[\t\n\f\r ]</c>.</summary>
    public static bool IsRegexSpace(char c) => c is '\t' or '\n' or '\f' or '\r' or ' ';

    public static string TrimSpace(string s)
    {
        var (start, length) = TrimSpaceRange(s);
        return s.Substring(start, length);
    }

    /// <summary>Where the text without surrounding Go white space starts, and how long it is.</summary>
    public static (int Start, int Length) TrimSpaceRange(string s)
    {
        var start = 0;
        var end = s.Length;
        while (start < end && IsSpace(s[start]))
        {
            start++;
        }
        while (end > start && IsSpace(s[end - 1]))
        {
            end--;
        }
        return (start, end - start);
    }

    public static string TrimLeftSpace(string s)
    {
        var i = 0;
        while (i < s.Length && IsSpace(s[i]))
        {
            i++;
        }
        return s[i..];
    }

    /// <summary>Splits on runs of <c>[\t\v\f\r ]</c> like Go's regexp.Split(s, n).</summary>
    public static IReadOnlyList<(string Text, int Offset)> SplitArguments(string s, int max = int.MaxValue)
    {
        var parts = new List<(string, int)>();
        var start = 0;
        var i = 0;
        while (i < s.Length && parts.Count < max - 1)
        {
            if (!IsArgumentSeparator(s[i]))
            {
                i++;
                continue;
            }
            var end = i;
            while (i < s.Length && IsArgumentSeparator(s[i]))
            {
                i++;
            }
            parts.Add((s[start..end], start));
            start = i;
        }
        parts.Add((s[start..], start));
        return parts;
    }

    /// <summary>Go's strconv.Quote for a string decoded from UTF-8.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            int rune = c;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                rune = char.ConvertToUtf32(c, s[i + 1]);
                i++;
            }
            switch (rune)
            {
                case '"': sb.Append("\\\""); continue;
                case '\\': sb.Append("\\\\"); continue;
                case '\a': sb.Append("\\a"); continue;
                case '\b': sb.Append("\\b"); continue;
                case '\f': sb.Append("\\f"); continue;
                case '\n': sb.Append("\\n"); continue;
                case '\r': sb.Append("\\r"); continue;
                case '\t': sb.Append("\\t"); continue;
                case '\v': sb.Append("\\v"); continue;
            }
            if (IsPrint(rune))
            {
                sb.Append(char.ConvertFromUtf32(rune));
            }
            else if (rune < 0x80)
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\x{rune:x2}");
            }
            else if (rune < 0x10000)
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\u{rune:x4}");
            }
            else
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\U{rune:x8}");
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Go's strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.</summary>
    private static bool IsPrint(int rune)
    {
        if (rune == ' ')
        {
            return true;
        }
        if (rune is >= 0xD800 and <= 0xDFFF)
        {
            return false; // a lone surrogate is not a character
        }
        var category = CharUnicodeInfo.GetUnicodeCategory(rune);
        return category switch
        {
            UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
                or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
                or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator => false,
            _ => true,
        };
    }
}
