using System.Text;

namespace Builder.Dockerfile.Shell;

/// <summary>
/// BuildKit implements <c>${v//p/r}</c> with Go's <c>Regexp.ReplaceAllString</c>, which treats <c>$</c> in the
/// replacement as a template. Its patterns have no groups, so: <c>$0</c> and <c>${0}</c> insert the whole match,
/// <c>$$</c> is one dollar, any other <c>$name</c> / <c>${name}</c> inserts nothing, and a dollar that starts no
/// valid reference stays as written. (<c>${v/p/r}</c>, the single replacement, inserts r literally.)
/// </summary>
internal static class GoReplacementTemplate
{
    public static void Expand(StringBuilder output, string template, string match)
    {
        var i = 0;
        while (i < template.Length)
        {
            var dollar = template.IndexOf('$', i);
            if (dollar < 0)
            {
                break;
            }

            output.Append(template, i, dollar - i);
            i = dollar + 1;
            if (i < template.Length && template[i] == '$')
            {
                output.Append('$');
                i++;
                continue;
            }

            if (!TryReadReference(template, i, out var name, out var next))
            {
                output.Append('$');
                continue;
            }

            i = next;

            // Only group 0 exists; "00" is not a group number (Go rejects leading zeros), so it is a missing name.
            if (name == "0")
            {
                output.Append(match);
            }
        }

        output.Append(template, i, template.Length - i);
    }

    private static bool TryReadReference(string template, int start, out string name, out int next)
    {
        name = "";
        next = start;
        var braced = start < template.Length && template[start] == '{';
        var i = braced ? start + 1 : start;
        var nameStart = i;
        while (i < template.Length && Rune.TryGetRuneAt(template, i, out var rune)
            && (Rune.IsLetter(rune) || Rune.IsDigit(rune) || rune.Value == '_'))
        {
            i += rune.Utf16SequenceLength;
        }

        if (i == nameStart)
        {
            return false;
        }

        name = template[nameStart..i];
        if (braced)
        {
            if (i >= template.Length || template[i] != '}')
            {
                return false;
            }

            i++;
        }

        next = i;
        return true;
    }
}
