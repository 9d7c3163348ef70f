namespace Builder.Lint.ShellCheck;

/// <summary>
/// What <c>--explain</c>, SARIF and MSBuild say of an SC code. ShellCheck's wiki is not available offline, so a rule
/// is the code, the message ShellCheck gives for the commonest codes in Dockerfiles (its own words, which vary a little
/// with the script), and where to read more.
/// </summary>
public static class ShellCheckRules
{
    private static readonly Dictionary<int, (Severity Severity, string Message)> Common = new()
    {
        [1007] = (Severity.Error, "Remove space after = if trying to assign a value (for empty string, use var='' ... )."),
        [1068] = (Severity.Error, "Don't put spaces around the = in assignments."),
        [1071] = (Severity.Error, "ShellCheck only supports sh/bash/dash/ksh/'busybox' scripts."),
        [2002] = (Severity.Style, "Useless cat. Consider 'cmd < file | ..' or 'cmd file | ..' instead."),
        [2006] = (Severity.Style, "Use $(...) notation instead of legacy backticks `...`."),
        [2016] = (Severity.Info, "Expressions don't expand in single quotes, use double quotes for that."),
        [2026] = (Severity.Warning, "This word is outside of quotes. Did you intend to 'nest '\"'single quotes'\"' instead'?"),
        [2035] = (Severity.Info, "Use ./*glob* or -- *glob* so names with dashes won't become options."),
        [2038] = (Severity.Warning, "Use -print0/-0 or -exec + to allow for non-alphanumeric filenames."),
        [2039] = (Severity.Warning, "In POSIX sh, something is undefined."),
        [2043] = (Severity.Warning, "This loop will only ever run once. Bad quoting or missing glob/expansion?"),
        [2046] = (Severity.Warning, "Quote this to prevent word splitting."),
        [2048] = (Severity.Warning, "Use \"$@\" (with quotes) to prevent whitespace problems."),
        [2053] = (Severity.Warning, "Quote the right-hand side of = in [[ ]] to prevent glob matching."),
        [2059] = (Severity.Info, "Don't use variables in the printf format string. Use printf '..%s..' \"$foo\"."),
        [2064] = (Severity.Warning, "Use single quotes, otherwise this expands now rather than when signalled."),
        [2086] = (Severity.Info, "Double quote to prevent globbing and word splitting."),
        [2103] = (Severity.Info, "Use a ( subshell ) to avoid having to cd back."),
        [2115] = (Severity.Warning, "Use \"${var:?}\" to ensure this never expands to / ."),
        [2116] = (Severity.Style, "Useless echo? Instead of 'cmd $(echo foo)', just use 'cmd foo'."),
        [2139] = (Severity.Warning, "This expands when defined, not when used. Consider escaping."),
        [2143] = (Severity.Style, "Use grep -q instead of comparing output with [ -n .. ]."),
        [2145] = (Severity.Error, "Argument mixes string and array. Use * or separate argument."),
        [2153] = (Severity.Warning, "Possible misspelling: this variable may not be assigned. Did you mean a similar one?"),
        [2154] = (Severity.Warning, "This variable is referenced but not assigned."),
        [2155] = (Severity.Warning, "Declare and assign separately to avoid masking return values."),
        [2164] = (Severity.Warning, "Use 'cd ... || exit' or 'cd ... || return' in case cd fails."),
        [2174] = (Severity.Warning, "When used with -p, -m only applies to the deepest directory."),
        [2181] = (Severity.Style, "Check exit code directly with e.g. 'if mycmd;', not indirectly with $?."),
        [2196] = (Severity.Info, "egrep is non-standard and deprecated. Use grep -E instead."),
        [2197] = (Severity.Info, "fgrep is non-standard and deprecated. Use grep -F instead."),
        [2211] = (Severity.Warning, "This is a glob used as a command name. Was it supposed to be in ${..}, array, or is it missing quoting?"),
        [2226] = (Severity.Warning, "This ln has no destination. Check the arguments, or specify '.' explicitly."),
        [2230] = (Severity.Info, "which is non-standard. Use builtin 'command -v' instead."),
        [2236] = (Severity.Style, "Use -n instead of ! -z."),
        [2237] = (Severity.Style, "Use [ -n .. ] instead of ! [ -z .. ]."),
        [3009] = (Severity.Warning, "In POSIX sh, brace expansion is undefined."),
        [3010] = (Severity.Warning, "In POSIX sh, [[ ]] is undefined."),
        [3014] = (Severity.Warning, "In POSIX sh, == in place of = is undefined."),
        [3028] = (Severity.Warning, "In POSIX sh, a special variable such as RANDOM or UID is undefined."),
        [3037] = (Severity.Warning, "In POSIX sh, echo flags are undefined."),
        [3040] = (Severity.Warning, "In POSIX sh, set option pipefail is undefined."),
        [3046] = (Severity.Warning, "In POSIX sh, 'source' in place of '.' is undefined."),
    };

    /// <summary>Whether <paramref name="id"/> is an SC code (<c>SC</c> and digits).</summary>
    public static bool IsShellCheckCode(string id) =>
        id.Length > 2 && id.StartsWith("SC", StringComparison.OrdinalIgnoreCase) && id[2..].All(char.IsAsciiDigit);

    /// <summary>The rule for an SC code, or null for anything else.</summary>
    public static LintRule? Rule(string id)
    {
        if (!IsShellCheckCode(id))
        {
            return null;
        }
        var code = int.Parse(id[2..], System.Globalization.CultureInfo.InvariantCulture);
        var (severity, message) = Common.TryGetValue(code, out var known) ? known : (Severity.Warning, "A ShellCheck finding on a RUN script.");
        var uri = $"https://www.shellcheck.net/wiki/SC{code}";
        return new LintRule($"SC{code}", message, severity, uri,
            $"Reported by ShellCheck on the RUN's script (hadolint's script: the stage's shell, its ARG and ENV names set). "
            + $"The finding's own message says what is wrong there; `shellcheck --help` lists ShellCheck's options, and {uri} explains the code in full.",
            "", "");
    }

    /// <summary>ShellCheck's level as a lint severity (as hadolint maps it).</summary>
    public static Severity SeverityOf(string level) => level switch
    {
        "warning" => Severity.Warning,
        "info" => Severity.Info,
        "style" => Severity.Style,
        _ => Severity.Error,
    };
}
