using System.Text;
using Builder.Dockerfile.Syntax;

namespace Builder.Lint.ShellCheck;

/// <summary>
/// One script to give ShellCheck and where its findings go: a shell-form RUN's command at the RUN's line, or a
/// <c>RUN &lt;&lt;EOF</c> body with each finding at its own line (<see cref="FirstBodyLine"/> is the Dockerfile line of
/// the script's line <see cref="HeaderLines"/> + 1).
/// </summary>
public sealed record ShellCheckScript(string Text, int Line, int Column, int HeaderLines, int? FirstBodyLine)
{
    /// <summary>The Dockerfile line of a finding at <paramref name="scriptLine"/> of <see cref="Text"/>.</summary>
    public int DockerfileLine(int scriptLine) =>
        FirstBodyLine is { } first && scriptLine > HeaderLines ? first + scriptLine - HeaderLines - 1 : Line;
}

/// <summary>
/// The scripts hadolint gives ShellCheck, and heredoc bodies beyond it. Each shell-form RUN (and ONBUILD RUN) becomes
/// a shebang naming the stage's shell (SHELL's first word, <c>/bin/sh</c> by default), <c>export NAME=1</c> for each
/// ARG and ENV name in scope and the proxy variables (so they count as set), then the command. A stage FROM an earlier
/// stage starts with that stage's shell and names; any other FROM starts afresh. Exec-form RUNs and stages whose
/// shell is PowerShell or cmd are not checked. A RUN whose command is a heredoc run as the script
/// (<c>RUN &lt;&lt;EOF</c>, <c>RUN bash &lt;&lt;EOF</c>) is checked as that body, under the body's own shebang when
/// it has a shell one; a body that names another interpreter is not a shell script and is left out.
/// </summary>
public static class ShellCheckScripts
{
    private static readonly string[] ProxyVariables =
        ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy"];

    private static readonly HashSet<string> ShellNames = new(StringComparer.Ordinal) { "sh", "bash", "dash", "ash", "ksh", "busybox" };

    private sealed record State(string Shell, IReadOnlySet<string> Variables)
    {
        public static State Default { get; } = new("/bin/sh", new HashSet<string>(ProxyVariables, StringComparer.Ordinal));

        public State With(IEnumerable<string> names) => this with { Variables = new HashSet<string>(Variables.Concat(names), StringComparer.Ordinal) };

        public bool Checked => Path.GetFileName(Shell).ToLowerInvariant() is var name
            && !name.StartsWith("pwsh", StringComparison.Ordinal) && !name.StartsWith("powershell", StringComparison.Ordinal)
            && name is not ("cmd" or "cmd.exe");
    }

    public static IReadOnlyList<ShellCheckScript> Of(DockerfileSyntax syntax)
    {
        var scripts = new List<ShellCheckScript>();
        var state = State.Default;
        var stages = new Dictionary<string, State>(StringComparer.OrdinalIgnoreCase);
        string? alias = null;
        foreach (var instruction in syntax.Instructions)
        {
            switch (instruction.Name)
            {
                case "FROM":
                    if (alias is not null)
                    {
                        stages[alias] = state;
                    }
                    var args = instruction.Arguments;
                    state = args.Count > 0 && stages.TryGetValue(args[0].Value, out var parent) ? parent : State.Default;
                    alias = args.Count >= 3 && args[1].Value.Equals("as", StringComparison.OrdinalIgnoreCase) ? args[2].Value : null;
                    break;
                case "ARG":
                    state = state.With(instruction.Arguments.Select(a => a.Value.Split('=', 2)[0]));
                    break;
                case "ENV":
                    state = state.With(EnvNames(instruction));
                    break;
                case "SHELL" when instruction.IsJsonForm && instruction.Arguments.Count > 0:
                    state = state with { Shell = instruction.Arguments[0].Value };
                    break;
                case "RUN":
                    Add(scripts, instruction, state);
                    break;
                case "ONBUILD" when instruction.Trigger is { } trigger && trigger.Is("RUN"):
                    Add(scripts, trigger, state);
                    break;
            }
        }
        return scripts;
    }

    // BuildKit's parser gives ENV as (name, value, separator) triples, for ENV a=1 b=2 and the legacy ENV a 1 alike.
    private static IEnumerable<string> EnvNames(InstructionSyntax env) =>
        env.Arguments.Where((_, i) => i % 3 == 0).Select(a => a.Value);

    private static void Add(List<ShellCheckScript> scripts, InstructionSyntax run, State state)
    {
        if (run.IsJsonForm || !state.Checked)
        {
            return;
        }
        var line = run.Span.Start.Line;
        var column = run.Span.Start.Column;
        if (run.Heredocs.Count > 0 && HeredocScript(run) is { } body)
        {
            var lines = body.Body.Split('\n').ToList();
            var shebang = state.Shell;
            var first = body.Span.Start.Line;
            if (lines[0].StartsWith("#!", StringComparison.Ordinal))
            {
                var interpreter = lines[0][2..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // "#!/usr/bin/env bash" names its shell in the second word.
                var program = interpreter.Length > 1 && Path.GetFileName(interpreter[0]) == "env" ? interpreter[1] : interpreter.FirstOrDefault() ?? "";
                if (!ShellNames.Contains(Path.GetFileName(program)))
                {
                    return;
                }
                shebang = lines[0][2..].Trim();
                lines.RemoveAt(0);
                first++;
            }
            var (header, headerLines) = Header(shebang, state.Variables);
            scripts.Add(new ShellCheckScript(header + string.Join('\n', lines), line, column, headerLines, first));
            return;
        }
        // Heredocs fed to a command (cat <<EOF > file) are part of the script it runs, as the shell reads them.
        var text = new StringBuilder(run.ArgumentText);
        foreach (var heredoc in run.Heredocs)
        {
            text.Append('\n').Append(heredoc.Content).Append(heredoc.Content.EndsWith('\n') ? "" : "\n").Append(heredoc.Name);
        }
        var (prefix, count) = Header(state.Shell, state.Variables);
        scripts.Add(new ShellCheckScript(prefix + text, line, column, count, null));
    }

    // The one heredoc the RUN runs as its script: the command is nothing but the marker, or a shell reading it.
    private static HeredocSyntax? HeredocScript(InstructionSyntax run)
    {
        if (run.Heredocs.Count != 1)
        {
            return null;
        }
        var words = run.ArgumentText.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var marker = words.Length > 0 ? HeredocMarker.Parse(words[^1]) : null;
        if (marker is null || marker.Name != run.Heredocs[0].Name)
        {
            return null;
        }
        return words.Length == 1 || (ShellNames.Contains(Path.GetFileName(words[0])) && words[1..^1].All(w => w.StartsWith('-')))
            ? run.Heredocs[0] : null;
    }

    private static (string Text, int Lines) Header(string shebang, IReadOnlySet<string> variables)
    {
        var text = new StringBuilder("#!").Append(shebang).Append('\n');
        foreach (var name in variables.Order(StringComparer.Ordinal))
        {
            text.Append("export ").Append(name).Append("=1\n");
        }
        return (text.ToString(), 1 + variables.Count);
    }
}
