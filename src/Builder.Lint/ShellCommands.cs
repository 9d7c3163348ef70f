using System.Text;

namespace Builder.Lint;

/// <summary>One simple command of a RUN: the program and its arguments, with sudo/env prefixes removed.</summary>
public sealed record ShellCommand(string Name, IReadOnlyList<string> Args)
{
    public bool Has(string flag) => Args.Contains(flag, StringComparer.Ordinal);

    /// <summary>A flag in any of its spellings: <c>-y</c>, <c>--yes</c>, or bundled short flags (<c>-qy</c>).</summary>
    public bool HasAny(params string[] flags) =>
        Args.Any(a => flags.Contains(a, StringComparer.Ordinal)
            || flags.Any(f => f.Length == 2 && f[0] == '-' && a.Length > 2 && a[0] == '-' && a[1] != '-' && a.Contains(f[1], StringComparison.Ordinal))
            || flags.Any(f => f.StartsWith("--", StringComparison.Ordinal) && a.StartsWith(f + "=", StringComparison.Ordinal)));

    /// <summary>The words after the sub-command that are not flags (packages, say).</summary>
    public IReadOnlyList<string> Operands(string subCommand) =>
        [.. Args.SkipWhile(a => a != subCommand).Skip(1).Where(a => !a.StartsWith('-'))];

    public bool IsSub(string subCommand) => Args.FirstOrDefault(a => !a.StartsWith('-')) == subCommand;
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
            var command = Strip(words);
            if (command.Count == 0)
            {
                continue;
            }
            if (command[0] is "sh" or "bash" or "/bin/sh" or "/bin/bash" && command.IndexOf("-c") is var c and >= 0 && c + 1 < command.Count)
            {
                commands.AddRange(Parse(command[c + 1]));
                continue;
            }
            commands.Add(new ShellCommand(Path.GetFileName(command[0]), command.Skip(1).ToList()));
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

    private static List<string> Strip(List<string> words)
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
        return words.Skip(i).ToList();
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
                else if (ch == '\\' && quote == '"' && i + 1 < script.Length)
                {
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
