using System.Text;

namespace Builder.Registry.Auth;

/// <summary>
/// One <c>WWW-Authenticate</c> challenge (RFC 7235): a scheme and its parameters, e.g.
/// <c>Bearer realm="https://auth.example/token",service="registry",scope="repository:app:pull"</c>.
/// </summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);

    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    public string? Realm => Parameters.GetValueOrDefault("realm");

    public string? Service => Parameters.GetValueOrDefault("service");

    public string? Scope => Parameters.GetValueOrDefault("scope");

    /// <summary>Every challenge in a header value; parameters are case-insensitive, quoted strings unescaped.</summary>
    public static IReadOnlyList<AuthChallenge> ParseAll(string header)
    {
        var challenges = new List<AuthChallenge>();
        var i = 0;
        while (true)
        {
            SkipSeparators(header, ref i);
            var scheme = Token(header, ref i);
            if (scheme.Length == 0)
            {
                return challenges;
            }
            var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            while (true)
            {
                SkipSeparators(header, ref i);
                var start = i;
                var name = Token(header, ref i);
                SkipSpaces(header, ref i);
                if (name.Length == 0 || i >= header.Length || header[i] != '=')
                {
                    // Not "name=": the next challenge's scheme starts here (or a token68 we ignore).
                    i = name.Length == 0 ? i : start;
                    break;
                }
                i++;
                SkipSpaces(header, ref i);
                parameters[name] = i < header.Length && header[i] == '"' ? Quoted(header, ref i) : Token(header, ref i);
            }
            challenges.Add(new AuthChallenge(scheme, parameters));
            if (i >= header.Length)
            {
                return challenges;
            }
        }
    }

    private static void SkipSpaces(string s, ref int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t')
        {
            i++;
        }
    }

    private static void SkipSeparators(string s, ref int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t' or ',')
        {
            i++;
        }
    }

    private static string Token(string s, ref int i)
    {
        var start = i;
        while (i < s.Length && s[i] is not (' ' or '\t' or ',' or '=' or '"'))
        {
            i++;
        }
        return s[start..i];
    }

    private static string Quoted(string s, ref int i)
    {
        var text = new StringBuilder();
        for (i++; i < s.Length && s[i] != '"'; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length)
            {
                i++;
            }
            text.Append(s[i]);
        }
        i++;
        return text.ToString();
    }
}
