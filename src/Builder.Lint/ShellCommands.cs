using System.Text;

namespace Builder.Lint;

/// <summary>
/// One simple command of a RUN: the program and its arguments, with <c>sudo</c>/<c>env</c> prefixes and
/// <c>VAR=value</c> assignments removed (kept in <see cref="Prefixes"/>).
/// </summary>
public sealed record ShellCommand(string Name, IReadOnlyList<string> Args)
{
    /// <summary>What stood before the program and was dropped: wrappers such as <c>sudo</c>, and assignments.</summary>
    public IReadOnlyList<string> Prefixes { get; init; } = [];

    public bool Has(string flag) => Args.Contains(flag, StringComparer.Ordinal);

    /// <summary>A flag in any of its spellings: <c>-y</c>, <c>--yes</c>, or bundled short flags (<c>-qy</c>).</summary>
    public bool HasAny(params string[] flags) =>
        Args.Any(a => flags.Contains(a, StringComparer.Ordinal)
            || flags.Any(f => f.Length == 2 && f[0] == '-' && a.Length > 2 && a[0] == '-' && a[1] != '-' && a.Contains(f[1], StringComparison.Ordinal))
            || flags.Any(f => f.StartsWith("--", StringComparison.Ordinal) && a.StartsWith(f + "=", StringComparison.Ordinal)));

    /// <summary>
    /// The flag names the arguments spell, as hadolint reads them: <c>--name=value</c> gives <c>name</c>, <c>-abc</c>
    /// gives <c>a</c>, <c>b</c> and <c>c</c>; <c>-</c> and <c>--</c> give none.
    /// </summary>
    public IEnumerable<string> FlagNames => Args.SelectMany(FlagsOf);

    /// <summary>Whether any of <paramref name="names"/> is among <see cref="FlagNames"/>.</summary>
    public bool HasFlag(params string[] names) => FlagNames.Any(f => names.Contains(f, StringComparer.Ordinal));

    /// <summary>
    /// The arguments that are not flags, leaving out the value that follows each flag named in
    /// <paramref name="flagsWithValues"/> (<c>-t value</c>, <c>--target value</c>; a <c>--target=value</c> carries its own).
    /// </summary>
    public IReadOnlyList<string> ArgsWithoutFlags(params string[] flagsWithValues)
    {
        var result = new List<string>();
        for (var i = 0; i < Args.Count; i++)
        {
            var arg = Args[i];
            if (arg is "-" or "--" || !arg.StartsWith('-'))
            {
                result.Add(arg);
                continue;
            }
            var takesValue = !arg.Contains('=', StringComparison.Ordinal) && FlagsOf(arg).LastOrDefault() is { } last
                && flagsWithValues.Contains(last, StringComparer.Ordinal);
            if (takesValue)
            {
                i++;
            }
        }
        return result;
    }

    /// <summary>The words after the sub-command that are not flags (packages, say).</summary>
    public IReadOnlyList<string> Operands(string subCommand) =>
        [.. Args.SkipWhile(a => a != subCommand).Skip(1).Where(a => !a.StartsWith('-'))];

    /// <summary>Whether the first argument that is not a flag is <paramref name="subCommand"/>.</summary>
    public bool IsSub(string subCommand) => Args.FirstOrDefault(a => !a.StartsWith('-')) == subCommand;

    /// <summary>Whether the command was run through <c>sudo</c> (or is <c>sudo</c> itself).</summary>
    public bool UsesSudo => Name == "sudo" || Prefixes.Contains("sudo", StringComparer.Ordinal);

    private static IEnumerable<string> FlagsOf(string arg)
    {
        if (arg is "-" or "--" || !arg.StartsWith('-'))
        {
            return [];
        }
        if (arg.StartsWith("--", StringComparison.Ordinal))
        {
            var end = arg.IndexOf('=', StringComparison.Ordinal);
            return [end < 0 ? arg[2..] : arg[2..end]];
        }
        return arg.Skip(1).Select(c => c.ToString());
    }
}

/// <summary>
/// The commands of a RUN's shell text: split on <c>&amp;&amp;</c>, <c>||</c>, <c>;</c>, <c>|</c>, <c>&amp;</c> and newlines outside
/// quotes, words unquoted, <c>sudo</c>/<c>env</c> prefixes and <c>VAR=value</c> assignments dropped, and
/// <c>sh -c "…"</c> looked into. Rules see real commands and arguments, never substrings.
/// </summary>
public static class ShellCommands
{
    public static IReadOnlyList<ShellCommand> Parse(string script)
    {
        var commands = new List<ShellCommand>();
        foreach (var words in SplitCommands(script))
        {
            var (prefixes, command) = Strip(words);
            if (command.Count == 0)
            {
                continue;
            }
            if (command[0] is "sh" or "bash" or "/bin/sh" or "/bin/bash" && command.IndexOf("-c") is var c and >= 0 && c + 1 < command.Count)
            {
                commands.AddRange(Parse(command[c + 1]));
                continue;
            }
            commands.Add(new ShellCommand(Path.GetFileName(command[0]), command.Skip(1).ToList()) { Prefixes = prefixes });
        }
        return commands;
    }

    /// <summary>Whether the script pipes one command into another (what DL4006 looks for).</summary>
    public static bool HasPipe(string script)
    {
        char quote = '\0';
        for (var i = 0; i < script.Length; i++)
        {
            var ch = script[i];
            if (quote != '\0')
            {
                quote = ch == quote ? '\0' : quote;
            }
            else if (ch is '\'' or '"')
            {
                quote = ch;
            }
            else if (ch == '\\')
            {
                i++;
            }
            else if (ch == '|')
            {
                if (i + 1 < script.Length && script[i + 1] == '|')
                {
                    i++;
                    continue;
                }
                return true;
            }
        }
        return false;
    }

    private static (IReadOnlyList<string> Prefixes, List<string> Command) Strip(List<string> words)
    {
        var i = 0;
        while (i < words.Count)
        {
            if (words[i] is "sudo" or "env" or "exec" or "nohup" or "time")
            {
                i++;
                while (i < words.Count && words[i].StartsWith('-'))
                {
                    i++;
                }
                continue;
            }
            if (words[i].Contains('=') && !words[i].StartsWith('-') && words[i].IndexOf('=') > 0 && words[i][..words[i].IndexOf('=')].All(ch => char.IsLetterOrDigit(ch) || ch == '_'))
            {
                i++;
                continue;
            }
            break;
        }
        return (words.Take(i).ToList(), words.Skip(i).ToList());
    }

    private static List<List<string>> SplitCommands(string script)
    {
        var commands = new List<List<string>>();
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char quote = '\0';

        void EndWord()
        {
            if (inWord)
            {
                words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
        }

        void EndCommand()
        {
            EndWord();
            if (words.Count > 0)
            {
                commands.Add(words);
                words = [];
            }
        }

        for (var i = 0; i < script.Length; i++)
        {
            var ch = script[i];
            if (quote != '\0')
            {
                if (ch == quote)
                {
                    quote = '\0';
                }
                else if (ch == '\\' && quote == '"' && i + 1 < script.Length && script[i + 1] is '$' or '`' or '"' or '\\' or '\n')
                {
                    // Inside double quotes a backslash escapes only these; before anything else it is a literal backslash.
                    word.Append(script[++i]);
                }
                else
                {
                    word.Append(ch);
                }
                continue;
            }
            switch (ch)
            {
                case '\'' or '"':
                    quote = ch;
                    inWord = true;
                    break;
                case '\\' when i + 1 < script.Length:
                    if (script[i + 1] == '\n')
                    {
                        i++;
                        break;
                    }
                    word.Append(script[++i]);
                    inWord = true;
                    break;
                case ' ' or '\t':
                    EndWord();
                    break;
                case '|' when i + 1 < script.Length && script[i + 1] == '|':
                    i++;
                    EndCommand();
                    break;
                case '|':
                    EndCommand();
                    break;
                case '&' or ';' or '\n' or '(' or ')':
                    if (script.Length > i + 1 && ch == '&' && script[i + 1] == '&')
                    {
                        i++;
                    }
                    EndCommand();
                    break;
                case '#' when !inWord:
                    while (i < script.Length && script[i] != '\n')
                    {
                        i++;
                    }
                    EndCommand();
                    break;
                default:
                    word.Append(ch);
                    inWord = true;
                    break;
            }
        }
        EndCommand();
        return commands;
    }
}
