namespace Builder.Lint.Rules;

/// <summary>hadolint's rules about what RUN commands do, beyond package managers.</summary>
public sealed class ShellRules : RuleTable
{
    private static readonly HashSet<string> InteractiveCommands =
        ["ssh", "vim", "shutdown", "service", "ps", "free", "top", "kill", "mount", "ifconfig"];

    public ShellRules()
    {
        AddPerCommand("DL3001", Severity.Info, "For some bash commands it makes no sense running them in a Docker container like `ssh`, `vim`, `shutdown`, `service`, `ps`, `free`, `top`, `kill`, `mount`, `ifconfig`",
            "A build step has no terminal, no services and no other processes to look at.",
            "RUN service nginx start", "CMD [\"nginx\", \"-g\", \"daemon off;\"]",
            (c, _) => InteractiveCommands.Contains(c.Name));
        AddPerCommand("DL3003", Severity.Warning, "Use WORKDIR to switch to a directory",
            "cd lasts only for its RUN; WORKDIR states the directory for every later instruction.",
            "RUN cd /app && make", "WORKDIR /app\nRUN make",
            (c, _) => c.Name == "cd");
        Add("DL3004", Severity.Error, "Do not use sudo as it leads to unpredictable behavior. Use a tool like gosu to enforce root",
            "sudo needs a TTY and a configured sudoers; RUN already runs as the USER you choose.",
            "RUN sudo apt-get update", "USER root\nRUN apt-get update",
            (context, rule) => Runs(context).Where(run => ShellWords(run).Contains("sudo")).Select(run => Finding.At(rule, run)));
        Add("DL4001", Severity.Warning, "Either use Wget or Curl but not both",
            "Two download tools in one image are one more than it needs.",
            "RUN wget -q a && curl -sO b", "RUN curl -sO a && curl -sO b",
            (context, rule) =>
            {
                var runs = Runs(context).ToList();
                var usesWget = runs.Where(r => Commands(r).Any(c => c.Name == "wget")).ToList();
                var usesCurl = runs.Where(r => Commands(r).Any(c => c.Name == "curl")).ToList();
                return usesWget.Count > 0 && usesCurl.Count > 0 ? usesWget.Concat(usesCurl).Distinct().Select(r => Finding.At(rule, r)) : [];
            });
        AddPerCommand("DL4005", Severity.Warning, "Use SHELL to change the default shell",
            "Relinking /bin/sh changes the shell behind the builder's back; SHELL says it in the Dockerfile.",
            "RUN ln -sf /bin/bash /bin/sh", "SHELL [\"/bin/bash\", \"-c\"]",
            (c, _) => c.Name == "ln" && c.Args.Any(a => a == "/bin/sh"));
        Add("DL4006", Severity.Warning, "Set the SHELL option -o pipefail before RUN with a pipe in it. If you are using /bin/sh in an alpine image or if your shell is symlinked to busybox then consider explicitly setting your SHELL to /bin/ash, or disable this check",
            "Without pipefail a failing command before a pipe is hidden by the last command's success.",
            "RUN wget -O - https://x | tar xz", "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN wget -O - https://x | tar xz",
            (context, rule) => Stages(context).SelectMany(stage =>
            {
                var pipefail = false;
                var found = new List<LintFinding>();
                foreach (var i in stage)
                {
                    if (i.Is("SHELL"))
                    {
                        var words = i.Arguments.Select(a => a.Value).ToList();
                        pipefail = words.Contains("pipefail") || words[0] is "pwsh" or "powershell" or "cmd";
                    }
                    if (i.Is("RUN") && !i.IsJsonForm && !pipefail && ShellCommands.HasPipe(Script(i))
                        && !Commands(i).Any(c => c.Name == "set" && c.Args.Contains("pipefail")))
                    {
                        found.Add(Finding.At(rule, i));
                    }
                }
                return found;
            }));
        Add("DL3010", Severity.Info, "Use ADD for extracting archives into an image",
            "COPY of an archive followed by tar -x keeps the archive in a layer; ADD extracts it in one step.",
            "FROM a\nCOPY app.tar.gz /tmp/\nRUN tar -xzf /tmp/app.tar.gz -C /opt", "FROM a\nADD app.tar.gz /opt/",
            (context, rule) => Stages(context).SelectMany(stage =>
            {
                var found = new List<LintFinding>();
                var copied = new List<(string Name, Dockerfile.Syntax.InstructionSyntax Copy)>();
                foreach (var i in stage)
                {
                    if (i.Is("COPY") && i.Arguments.Count >= 2)
                    {
                        copied.AddRange(i.Arguments.SkipLast(1).Select(a => Path.GetFileName(a.Value)).Where(IsArchiveName).Select(n => (n, i)));
                    }
                    if (i.Is("RUN") && !i.IsJsonForm)
                    {
                        foreach (var tar in Commands(i).Where(c => c.Name == "tar" && c.Args.Any(a => a.StartsWith('-') && a.Contains('x') || a == "--extract")))
                        {
                            found.AddRange(copied.Where(c => tar.Args.Any(a => Path.GetFileName(a) == c.Name)).Select(c => Finding.At(rule, c.Copy)));
                        }
                    }
                }
                return found.DistinctBy(f => f.Line);
            }));
        AddPerCommand("DL3047", Severity.Info, "Avoid use of wget without progress bar. Use `wget --progress=dot:giga <url>`. Or consider using `-q` or `-nv` (shorthands for `--quiet` or `--no-verbose`).",
            "wget's default progress bar floods the build log.",
            "RUN wget https://x/file", "RUN wget --progress=dot:giga https://x/file",
            (c, _) => c.Name == "wget" && !c.Args.Any(a => a.StartsWith("--progress", StringComparison.Ordinal) || a is "-q" or "--quiet" or "-nv" or "--no-verbose" or "-O-" || (a.StartsWith('-') && !a.StartsWith("--", StringComparison.Ordinal) && a.Contains('q'))));
        AddPerCommand("DL3046", Severity.Warning, "`useradd` without flag `-l` and high UID will result in excessively large Image.",
            "useradd fills /var/log/lastlog and faillog sparsely up to the uid; -l skips them.",
            "RUN useradd -u 123456 app", "RUN useradd -l -u 123456 app",
            (c, _) => c.Name == "useradd" && !c.HasAny("-l", "--no-log-init") && UidOf(c) is > 99_999);
    }

    private static bool IsArchiveName(string name) =>
        new[] { ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz" }.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<string> ShellWords(Dockerfile.Syntax.InstructionSyntax run) =>
        ShellCommands.Parse(Script(run)).Select(c => c.Name).Concat(Script(run).Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries).Where(w => w == "sudo"));

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
