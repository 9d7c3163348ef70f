using Builder.Dockerfile.Syntax;

namespace Builder.Lint.Rules;

/// <summary>hadolint's rules about what RUN commands do, beyond package managers.</summary>
public sealed class ShellRules : RuleTable
{
    private static readonly HashSet<string> PointlessCommands =
        ["free", "kill", "mount", "ps", "service", "shutdown", "ssh", "top", "vim"];

    private static readonly string[] ArchiveExtensions =
        [".tar", ".Z", ".bz2", ".gz", ".lz", ".lzma", ".tZ", ".tb2", ".tbz", ".tbz2", ".tgz", ".tlz", ".tpz", ".txz", ".xz"];

    private static readonly HashSet<string> Decompressors =
        ["unzip", "gunzip", "bunzip2", "unlzma", "unxz", "zgz", "uncompress", "zcat", "gzcat"];

    public ShellRules()
    {
        AddPerCommand("DL3001", Severity.Info, "For some bash commands it makes no sense running them in a Docker container like `ssh`, `vim`, `shutdown`, `service`, `ps`, `free`, `top`, `kill`, `mount`, `ifconfig`",
            "A build step has no terminal, no services and no other processes to look at.",
            "RUN service nginx start", "CMD [\"nginx\", \"-g\", \"daemon off;\"]",
            (c, _) => PointlessCommands.Contains(c.Name));
        AddPerCommand("DL3003", Severity.Warning, "Use WORKDIR to switch to a directory",
            "cd lasts only for its RUN; WORKDIR states the directory for every later instruction.",
            "RUN cd /app && make", "WORKDIR /app\nRUN make",
            (c, _) => c.Name == "cd");
        AddPerCommand("DL3004", Severity.Error, "Do not use sudo as it leads to unpredictable behavior. Use a tool like gosu to enforce root",
            "sudo needs a TTY and a configured sudoers; RUN already runs as the USER you choose.",
            "RUN sudo apt-get update", "USER root\nRUN apt-get update",
            (c, _) => c.UsesSudo);
        Add("DL4001", Severity.Warning, "Either use Wget or Curl but not both",
            "Two download tools in one image are one more than it needs.",
            "RUN wget -q a && curl -sO b", "RUN curl -sO a && curl -sO b",
            (context, rule) => Stages(context).Select(stage => stage.Where(i => i.Is("RUN")))
                .Append(OnbuildRuns(context)).SelectMany(runs =>
                {
                    // Once a stage has used both, every RUN that uses either is reported.
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    var found = new List<LintFinding>();
                    foreach (var run in runs)
                    {
                        var tools = Commands(context, run).Select(c => c.Name).Where(n => n is "wget" or "curl").ToList();
                        seen.UnionWith(tools);
                        if (tools.Count > 0 && seen.Count == 2)
                        {
                            found.Add(Finding.At(rule, run));
                        }
                    }
                    return found;
                }));
        AddPerCommand("DL4005", Severity.Warning, "Use SHELL to change the default shell",
            "Relinking /bin/sh changes the shell behind the builder's back; SHELL says it in the Dockerfile.",
            "RUN ln -sf /bin/bash /bin/sh", "SHELL [\"/bin/bash\", \"-c\"]",
            (c, _) => c.Name == "ln" && c.Args.Any(a => a == "/bin/sh"));
        Add("DL4006", Severity.Warning, "Set the SHELL option -o pipefail before RUN with a pipe in it. If you are using /bin/sh in an alpine image or if your shell is symlinked to busybox then consider explicitly setting your SHELL to /bin/ash, or disable this check",
            "Without pipefail a failing command before a pipe is hidden by the last command's success.",
            "RUN wget -O - https://x | tar xz", "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN wget -O - https://x | tar xz",
            (context, rule) => Stages(context).SelectMany(stage =>
            {
                var safe = false;
                var found = new List<LintFinding>();
                foreach (var i in stage)
                {
                    if (i.Is("SHELL"))
                    {
                        safe = ShellIsSafeWithPipes(i.Arguments.Select(a => a.Value).ToList());
                    }
                    if (i.Is("RUN") && !i.IsJsonForm && !safe && ShellCommands.HasPipe(Script(i))
                        && !Commands(context, i).Any(c => c.Name == "set" && c.Args.Contains("pipefail")))
                    {
                        found.Add(Finding.At(rule, i));
                    }
                }
                return found;
            }));
        Add("DL3010", Severity.Info, "Use ADD for extracting archives into an image",
            "COPY of an archive followed by an extraction keeps the archive in a layer; ADD extracts it in one step.",
            "FROM a\nCOPY app.tar.gz /tmp/\nRUN tar -xzf /tmp/app.tar.gz -C /opt", "FROM a\nADD app.tar.gz /opt/",
            (context, rule) => Stages(context).SelectMany(stage =>
            {
                var found = new List<LintFinding>();
                var copied = new List<(string Name, InstructionSyntax Copy)>();
                foreach (var i in stage)
                {
                    if (i.Is("COPY") && Flag(i, "from") is null && i.Arguments.Count >= 2)
                    {
                        var target = i.Arguments[^1].Value;
                        copied.AddRange(IsArchive(target)
                            ? [(BaseName(target), i)]
                            : i.Arguments.SkipLast(1).Select(a => a.Value).Where(IsArchive).Select(a => (BaseName(a), i)));
                    }
                    if (i.Is("RUN"))
                    {
                        foreach (var extract in Commands(context, i).Where(IsExtraction))
                        {
                            var names = extract.Args.Where(a => !a.StartsWith('-')).Select(BaseName).ToHashSet(StringComparer.Ordinal);
                            found.AddRange(copied.Where(c => names.Contains(c.Name)).Select(c => Finding.At(rule, c.Copy)));
                        }
                    }
                }
                return found.DistinctBy(f => f.Line);
            }));
        AddPerCommand("DL3047", Severity.Info, "Avoid use of wget without progress bar. Use `wget --progress=dot:giga <url>`. Or consider using `-q` or `-nv` (shorthands for `--quiet` or `--no-verbose`).",
            "wget's default progress bar floods the build log.",
            "RUN wget https://x/file", "RUN wget --progress=dot:giga https://x/file",
            (c, _) => c.Name == "wget" && !c.HasFlag("progress", "q", "quiet", "o", "output-file", "a", "append-output", "no-verbose") && !c.Has("-nv"));
        AddPerCommand("DL3046", Severity.Warning, "`useradd` without flag `-l` and high UID will result in excessively large Image.",
            "useradd fills /var/log/lastlog and faillog sparsely up to the uid; -l skips them.",
            "RUN useradd -u 123456 app", "RUN useradd -l -u 123456 app",
            (c, _) => c.Name == "useradd" && !c.HasFlag("l", "no-log-init") && UidOf(c) is > 99_999);
    }

    /// <summary>A SHELL that fails a pipe: bash, zsh or ash given <c>-o pipefail</c>, or a shell that is not POSIX (PowerShell, cmd).</summary>
    private static bool ShellIsSafeWithPipes(IReadOnlyList<string> words)
    {
        if (words.Count == 0)
        {
            return false;
        }
        var program = words[0].Replace('\\', '/');
        var name = program[(program.LastIndexOf('/') + 1)..].ToLowerInvariant();
        if (name.StartsWith("pwsh", StringComparison.Ordinal) || name.StartsWith("powershell", StringComparison.Ordinal) || name.StartsWith("cmd", StringComparison.Ordinal))
        {
            return true;
        }
        var options = new ShellCommand(name, [.. words.Skip(1)]);
        return name is "bash" or "zsh" or "ash" && options.HasFlag("o") && options.Has("pipefail");
    }

    private static bool IsExtraction(ShellCommand c) =>
        Decompressors.Contains(c.Name)
        || (c.Name == "tar" && c.Args.Any(a => a is "--extract" or "--get" || (a.StartsWith('-') && !a.StartsWith("--", StringComparison.Ordinal) && a.Contains('x'))));

    private static bool IsArchive(string path) => ArchiveExtensions.Any(e => DropQuotes(path).EndsWith(e, StringComparison.Ordinal));

    /// <summary>The last path component, for Unix and Windows separators, without quotes.</summary>
    private static string BaseName(string path)
    {
        var unquoted = DropQuotes(path);
        return unquoted[(unquoted.LastIndexOfAny(['/', '\\']) + 1)..];
    }

    private static long? UidOf(ShellCommand useradd)
    {
        for (var i = 0; i < useradd.Args.Count; i++)
        {
            var arg = useradd.Args[i];
            var value = arg is "-u" or "--uid" && i + 1 < useradd.Args.Count ? useradd.Args[i + 1]
                : arg.StartsWith("--uid=", StringComparison.Ordinal) ? arg[6..]
                : arg.StartsWith("-u", StringComparison.Ordinal) && arg.Length > 2 ? arg[2..] : null;
            if (value is not null && long.TryParse(value, out var uid))
            {
                return uid;
            }
        }
        return null;
    }
}
