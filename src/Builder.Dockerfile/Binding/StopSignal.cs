using System.Globalization;

namespace Builder.Dockerfile.Binding;

/// <summary>STOPSIGNAL's check, as BuildKit makes it with moby's signal.ParseSignal: a non-zero number, or a Linux signal name.</summary>
public static class StopSignal
{
    private static readonly HashSet<string> Names =
    [
        "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL", "PIPE", "POLL", "PROF", "PWR",
        "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP", "TTIN", "TTOU", "UNUSED", "URG", "USR1", "USR2", "VTALRM",
        "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMAX",
        .. Enumerable.Range(1, 15).Select(i => $"RTMIN+{i}"), .. Enumerable.Range(1, 14).Select(i => $"RTMAX-{i}"),
    ];

    /// <summary>Null when <paramref name="text"/> names a signal, else moby's message.</summary>
    public static string? Error(string text)
    {
        var valid = long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number != 0
            : Names.Contains(text.ToUpperInvariant() is var upper && upper.StartsWith("SIG", StringComparison.Ordinal) ? upper[3..] : upper);
        return valid ? null : $"invalid signal: {text}";
    }
}
