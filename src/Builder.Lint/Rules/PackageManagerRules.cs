using Builder.Dockerfile.Syntax;

namespace Builder.Lint.Rules;

/// <summary>hadolint's package-manager rules: pin versions, answer prompts, clean caches, skip what is not needed.</summary>
public sealed class PackageManagerRules : RuleTable
{
    // pip install's options that take a value (pip's reference: install options, then the general ones), so the value
    // is never read as a package: `pip install --root-user-action ignore flask`.
    private static readonly string[] PipValueFlags =
    [
        "abi", "b", "build", "e", "editable", "extra-index-url", "f", "find-links", "i", "index-url", "implementation",
        "no-binary", "only-binary", "platform", "prefix", "progress-bar", "proxy", "python-version", "root", "src", "t",
        "target", "trusted-host", "upgrade-strategy",
        "c", "constraint", "C", "config-settings", "global-option", "install-option", "report", "root-user-action",
        "python", "log", "retries", "timeout", "exists-action", "cert", "client-cert", "cache-dir", "keyring-provider",
        "use-feature", "use-deprecated", "r", "requirement",
    ];

    // npm install's configuration options that take a value (npm's config reference), for the same reason:
    // `npm install --registry https://r.example typescript@5.3.3`.
    private static readonly string[] NpmValueFlags =
    [
        "loglevel", "registry", "tag", "omit", "include", "install-strategy", "w", "workspace", "prefix", "cache",
        "userconfig", "globalconfig", "before", "cpu", "os", "libc", "script-shell", "audit-level", "access", "otp", "scope",
        "save-prefix",
    ];

    // apt-get's options that take a value (apt-get(8)).
    private static readonly string[] AptValueFlags = ["t", "target-release", "c", "config-file", "o", "option"];

    // zypper's global options and install's that take a value (zypper(8)).
    private static readonly string[] ZypperValueFlags =
        ["c", "config", "R", "root", "D", "reposd-dir", "C", "cache-dir", "raw-cache-dir", "solv-cache-dir", "pkg-cache-dir",
         "t", "type", "r", "repo", "from", "download"];

    // dnf's, yum's and microdnf's options that take a value (dnf(8), yum(8)).
    private static readonly string[] RpmValueFlags =
        ["setopt", "releasever", "installroot", "enablerepo", "disablerepo", "repo", "repoid", "c", "config", "x", "exclude",
         "downloaddir", "destdir", "forcearch", "d", "debuglevel", "e", "errorlevel", "rpmverbosity", "color"];

    // apk add's options that take a value (apk's manual: add's own, then the global ones).
    private static readonly string[] ApkValueFlags =
        ["t", "virtual", "X", "repository", "repositories-file", "p", "root", "arch", "cache-dir", "keys-dir", "cache-max-age", "wait"];

    // apk's version constraints, as hadolint takes them: name=1.2, name~1.2, name>1.2, name<1.2 (>=, <= included).
    private static bool ApkVersionFixed(string package) =>
        package.IndexOfAny(['=', '~', '>', '<']) > 0 || package.EndsWith(".apk", StringComparison.Ordinal);

    private static readonly string[] PipVersionOperators = ["==", ">=", "<=", ">", "<", "!=", "~=", "==="];

    private static readonly string[] VcsSchemes =
    [
        "git+file", "git+https", "git+ssh", "git+http", "git+git", "git", "hg+file", "hg+http", "hg+https", "hg+ssh",
        "hg+static-http", "svn", "svn+svn", "svn+http", "svn+https", "svn+ssh", "bzr+http", "bzr+https", "bzr+ssh",
        "bzr+sftp", "bzr+ftp", "bzr+lp",
    ];

    private static readonly string[] TruthyValues = ["1", "true", "True", "TRUE", "on", "On", "ON", "yes", "Yes", "YES"];

    private static readonly string[] DnfInstalls = ["install", "in", "upgrade", "up", "upgrade-minimal", "up-min", "reinstall", "rei", "groupinstall"];

    public PackageManagerRules()
    {
        // apt
        AddPerCommand("DL3008", Severity.Warning, "Pin versions in apt get install. Instead of `apt-get install <package>` use `apt-get install <package>=<version>`",
            "Unpinned packages change under the Dockerfile; the same build gives different images.",
            "RUN apt-get install -y curl", "RUN apt-get install -y curl=7.88.1-10+deb12u5",
            (c, _) => IsAptGetInstall(c) && AptPackages(c).Any(p => !p.Contains('=') && !p.Contains('/') && !p.EndsWith(".deb", StringComparison.Ordinal)));
        Add("DL3009", Severity.Info, "Delete the apt-get lists after installing something",
            "The package lists are tens of megabytes the image does not need (a cache mount keeps them out instead).",
            "RUN apt-get update && apt-get install -y curl", "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
            (context, rule) => InShippedStages(context, run =>
            {
                var commands = Commands(context, run);
                return commands.Any(c => IsApt(c) && c.Has("update"))
                    && !commands.Any(c => c.Name == "rm" && c.Args.Any(a => a.StartsWith("/var/lib/apt/lists", StringComparison.Ordinal)))
                    && !CacheOrTmpfsMountUnder(run, "/var/lib/apt/lists")
                    && !(CacheOrTmpfsMountUnder(run, "/var/lib/apt") && CacheOrTmpfsMountUnder(run, "/var/cache/apt"));
            }).Select(run => Finding.At(rule, run)));
        AddPerCommand("DL3014", Severity.Warning, "Use the `-y` switch to avoid manual input `apt-get -y install <package>`",
            "A build cannot answer apt-get's question.", "RUN apt-get install curl", "RUN apt-get install -y curl",
            (c, _) => IsAptGetInstall(c) && !c.HasFlag("y", "yes", "assume-yes") && QuietLevel(c) < 2);
        AddPerCommand("DL3015", Severity.Info, "Avoid additional packages by specifying `--no-install-recommends`",
            "Recommended packages are rarely needed in an image and make it bigger.",
            "RUN apt-get install -y curl", "RUN apt-get install -y --no-install-recommends curl",
            (c, _) => IsAptGetInstall(c) && !c.HasFlag("no-install-recommends")
                && !c.Args.Any(a => a.Contains("APT::Install-Recommends=false", StringComparison.Ordinal)));
        AddPerCommand("DL3027", Severity.Warning, "Do not use apt as it is meant to be a end-user tool, use apt-get or apt-cache instead",
            "apt's interface is not stable for scripts.", "RUN apt install -y curl", "RUN apt-get install -y curl",
            (c, _) => c.Name == "apt");
        // pip
        AddPerCommand("DL3013", Severity.Warning, "Pin versions in pip. Instead of `pip install <package>` use `pip install <package>==<version>` or `pip install --requirement <requirements file>`",
            "Unpinned packages change under the Dockerfile.", "RUN pip install django", "RUN pip install django==4.2.7",
            (c, _) => IsPipInstall(c) && !InstallsRequirements(c) && !c.HasFlag("c", "constraint") && !PipPackages(c).All(PipVersionFixed));
        Add("DL3042", Severity.Warning, "Avoid use of cache directory with pip. Use `pip install --no-cache-dir <package>`",
            "pip's cache is dead weight in a layer (a RUN --mount=type=cache keeps it out instead).",
            "RUN pip install django==4.2.7", "RUN pip install --no-cache-dir django==4.2.7",
            (context, rule) => Runs(context).Where(run =>
                Commands(context, run).Any(c => IsPipInstall(c) && !c.Has("--no-cache-dir") && !IsPipWrapper(c))
                && !SetsPipNoCacheDir(Script(run))
                && !CacheOrTmpfsMount(run, ".cache/pip")
                && !PipNoCacheDirInEnvironment(context, run))
                .Select(run => Finding.At(rule, run)));
        // npm, yarn, gem, go
        AddPerCommand("DL3016", Severity.Warning, "Pin versions in npm. Instead of `npm install <package>` use `npm install <package>@<version>`",
            "Unpinned packages change under the Dockerfile.", "RUN npm install -g typescript", "RUN npm install -g typescript@5.3.3",
            (c, _) => NpmPackages(c) is { } packages && !packages.All(NpmVersionFixed));
        Add("DL3060", Severity.Info, "`yarn cache clean` missing after `yarn install` was run.",
            "yarn's cache is dead weight in a layer (a cache mount keeps it out instead).", "RUN yarn install", "RUN yarn install && yarn cache clean",
            (context, rule) => InShippedStages(context, run =>
                CleanMissingAfter(Commands(context, run), c => c.Name == "yarn" && (c.Has("install") || c.Args.Count == 0),
                    c => c.Name == "yarn" && c.Has("cache") && c.Has("clean"))
                && !CacheOrTmpfsMount(run, ".cache/yarn")).Select(run => Finding.At(rule, run)));
        AddPerCommand("DL3028", Severity.Warning, "Pin versions in gem install. Instead of `gem install <gem>` use `gem install <gem>:<version>`",
            "Unpinned gems change under the Dockerfile.", "RUN gem install bundler", "RUN gem install bundler:2.4.22",
            (c, _) => c.Name == "gem" && (c.Has("install") || c.Has("i")) && !c.Has("-v") && !c.Has("--version")
                && !c.Args.Any(a => a.StartsWith("--version=", StringComparison.Ordinal))
                && GemNames(c).Any(g => !g.Contains(':')));
        AddPerCommand("DL3062", Severity.Warning, "Pin versions in go install. Instead of `go install <package>` use `go install <package>@<version>`",
            "Unpinned modules change under the Dockerfile.", "RUN go install example.com/tool", "RUN go install example.com/tool@v1.2.3",
            (c, _) => GoPackages(c).Any(p => !GoVersionFixed(p)));
        // apk
        AddPerCommand("DL3018", Severity.Warning, "Pin versions in apk add. Instead of `apk add <package>` use `apk add <package>=<version>`",
            "Unpinned packages change under the Dockerfile.", "RUN apk add --no-cache curl", "RUN apk add --no-cache curl=8.5.0-r0",
            (c, _) => c.Name == "apk" && c.Has("add")
                && c.ArgsWithoutFlags(ApkValueFlags).Where(a => a != "add").Any(p => !ApkVersionFixed(p)));
        AddPerCommand("DL3019", Severity.Info, "Use the `--no-cache` switch to avoid the need to use `--update` and remove `/var/cache/apk/*` when done installing packages",
            "apk's index cache is dead weight in a layer.", "RUN apk add curl=8.5.0-r0", "RUN apk add --no-cache curl=8.5.0-r0",
            (c, run) => c.Name == "apk" && c.Has("add") && !c.HasFlag("no-cache") && !CacheOrTmpfsMount(run, "/var/cache/apk"));
        // yum
        AddPerCommand("DL3030", Severity.Warning, "Use the -y switch to avoid manual input `yum install -y <package>`",
            "A build cannot answer yum's question.", "RUN yum install httpd", "RUN yum install -y httpd",
            (c, _) => c.Name == "yum" && (c.Has("install") || c.Has("groupinstall") || c.Has("localinstall")) && !c.HasFlag("y", "assumeyes"));
        Add("DL3032", Severity.Warning, "`yum clean all` missing after yum command.",
            "yum's cache is dead weight in a layer.", "RUN yum install -y httpd-2.4.57", "RUN yum install -y httpd-2.4.57 && yum clean all",
            (context, rule) => Runs(context).Where(run =>
                CleanMissingAfter(Commands(context, run), c => c.Name == "yum" && c.Has("install"),
                    c => (c.Name == "yum" && c.Has("clean") && c.Has("all")) || RemovesCache(c, "/var/cache/yum"))
                && !CacheOrTmpfsMount(run, "/var/cache/yum")).Select(run => Finding.At(rule, run)));
        Add("DL3033", Severity.Warning, "Specify version with `yum install -y <package>-<version>`.",
            "Unpinned packages change under the Dockerfile.", "RUN yum install -y httpd", "RUN yum install -y httpd-2.4.57",
            (context, rule) => RpmPinningFindings(context, rule, ["yum"]));
        // zypper
        AddPerCommand("DL3034", Severity.Warning, "Non-interactive switch missing from `zypper` command: `zypper install -y`",
            "A build cannot answer zypper's question.", "RUN zypper install httpd", "RUN zypper -n install httpd",
            (c, _) => c.Name == "zypper" && new[] { "install", "in", "remove", "rm", "source-install", "si", "patch" }.Any(c.Has)
                && !c.HasFlag("n", "non-interactive", "y", "no-confirm"));
        AddPerCommand("DL3035", Severity.Warning, "Do not use `zypper dist-upgrade`.",
            "A distribution upgrade belongs in the base image, not in a build step.", "RUN zypper dist-upgrade", "FROM opensuse/leap:15.5",
            (c, _) => c.Name == "zypper" && (c.Has("dist-upgrade") || c.Has("dup")));
        Add("DL3036", Severity.Warning, "`zypper clean` missing after zypper use.",
            "zypper's cache is dead weight in a layer.", "RUN zypper -n install httpd=2.4", "RUN zypper -n install httpd=2.4 && zypper clean",
            (context, rule) => Runs(context).Where(run =>
                CleanMissingAfter(Commands(context, run), c => c.Name == "zypper" && (c.Has("install") || c.Has("in")),
                    c => (c.Name == "zypper" && (c.Has("clean") || c.Has("cc"))) || RemovesCache(c, "/var/cache/zypp"))
                && !CacheOrTmpfsMount(run, "/var/cache/zypp")).Select(run => Finding.At(rule, run)));
        AddPerCommand("DL3037", Severity.Warning, "Specify version with `zypper install -y <package>=<version>`.",
            "Unpinned packages change under the Dockerfile.", "RUN zypper -n install httpd", "RUN zypper -n install httpd=2.4",
            (c, _) => c.Name == "zypper" && (c.Has("install") || c.Has("in"))
                && c.ArgsWithoutFlags(ZypperValueFlags).Where(a => a is not ("install" or "in"))
                    .Any(p => !p.Contains('=') && !p.Contains('>') && !p.Contains('<') && !p.EndsWith(".rpm", StringComparison.Ordinal)));
        // dnf / microdnf
        AddPerCommand("DL3038", Severity.Warning, "Use the -y switch to avoid manual input `dnf install -y <package>`",
            "A build cannot answer dnf's question.", "RUN dnf install httpd", "RUN dnf install -y httpd",
            (c, _) => c.Name is "dnf" or "microdnf" && (c.Has("install") || c.Has("groupinstall")) && !c.HasFlag("y", "assumeyes"));
        Add("DL3040", Severity.Warning, "`dnf clean all` missing after dnf command.",
            "dnf's cache is dead weight in a layer.", "RUN dnf install -y httpd-2.4.57", "RUN dnf install -y httpd-2.4.57 && dnf clean all",
            (context, rule) => Runs(context).Where(run =>
                new[] { "dnf", "microdnf" }.Any(tool => CleanMissingAfter(Commands(context, run), c => c.Name == tool && DnfInstalls.Any(c.Has),
                    c => (c.Name == tool && c.Has("clean") && c.Has("all"))
                        || RemovesCache(c, "/var/cache/yum") || RemovesCache(c, "/var/cache/dnf") || RemovesCache(c, "/var/cache/libdnf5")))
                && !CacheOrTmpfsMount(run, "/var/cache/libdnf5") && !CacheOrTmpfsMount(run, ".cache/libdnf5")
                && !CacheOrTmpfsMount(run, "/var/cache/dnf") && !CacheOrTmpfsMount(run, "/var/cache/yum")).Select(run => Finding.At(rule, run)));
        Add("DL3041", Severity.Warning, "Specify version with `dnf install -y <package>-<version>`.",
            "Unpinned packages change under the Dockerfile.", "RUN dnf install -y httpd", "RUN dnf install -y httpd-2.4.57",
            (context, rule) => RpmPinningFindings(context, rule, ["dnf", "microdnf"]));
    }

    // (hadolint's DL3008, DL3014 and DL3015 look at apt-get alone.)
    private static bool IsAptGetInstall(ShellCommand c) => c.Name == "apt-get" && c.Has("install");

    // apt and aptitude fetch the same lists as apt-get: DL3009 takes an update by any of the three, as hadolint's does.
    private static bool IsApt(ShellCommand c) => c.Name is "apt-get" or "apt" or "aptitude";

    private static IEnumerable<string> AptPackages(ShellCommand c) =>
        c.ArgsWithoutFlags(AptValueFlags).Where(a => a != "install");

    /// <summary>apt-get's quiet level: each <c>-q</c> (bundled or not) and <c>--quiet</c> adds one; <c>-q=2</c> sets it.</summary>
    private static int QuietLevel(ShellCommand c) =>
        c.Args.Any(a => a is "-q=2" or "--quiet=2" or "-qq=2") ? 2
            : c.Args.Sum(a => a == "--quiet" ? 1 : a.StartsWith('-') && !a.StartsWith("--", StringComparison.Ordinal) ? a.TakeWhile(ch => ch != '=').Count(ch => ch == 'q') : 0);

    // hadolint's test: any command whose name starts with "pip" (pip3.12, pipx, pipenv) given "install", or python -m pip install.
    private static bool IsPipInstall(ShellCommand c) =>
        (c.Name.StartsWith("pip", StringComparison.Ordinal) && c.Has("install"))
        || (c.Name.StartsWith("python", StringComparison.Ordinal) && ContainsRun(c.Args, "-m", "pip", "install"));


    private static bool IsPipWrapper(ShellCommand c) =>
        c.Name.Contains("pipx", StringComparison.Ordinal) || c.Name.Contains("pipenv", StringComparison.Ordinal)
        || (c.Name.StartsWith("python", StringComparison.Ordinal) && (ContainsRun(c.Args, "-m", "pipx") || ContainsRun(c.Args, "-m", "pipenv")));

    private static bool ContainsRun(IReadOnlyList<string> args, params string[] run)
    {
        for (var i = 0; i + run.Length <= args.Count; i++)
        {
            if (run.Select((word, j) => args[i + j] == word).All(x => x))
            {
                return true;
            }
        }
        return false;
    }

    private static bool InstallsRequirements(ShellCommand c) =>
        c.Has("-r") || c.Has("--requirement") || c.Has(".") || c.Args.Any(a => a.StartsWith("--requirement=", StringComparison.Ordinal));

    /// <summary>The packages a pip install names: what follows <c>install</c>, without flags or the values of flags that take one.</summary>
    private static IEnumerable<string> PipPackages(ShellCommand c) =>
        c.ArgsWithoutFlags(PipValueFlags).SkipWhile(a => a != "install").SkipWhile(a => a == "install");

    private static bool PipVersionFixed(string package)
    {
        var vcs = VcsSchemes.Any(s => package.StartsWith(s, StringComparison.Ordinal));
        return PipVersionOperators.Any(o => package.Contains(o, StringComparison.Ordinal))
            || (vcs && package.Contains('@'))
            || package.EndsWith(".whl", StringComparison.Ordinal) || package.EndsWith(".tar.gz", StringComparison.Ordinal)
            || (!vcs && package.Contains('/'));
    }

    /// <summary>Whether the RUN sets PIP_NO_CACHE_DIR to a true value itself (<c>PIP_NO_CACHE_DIR=1 pip …</c>, <c>export …</c>).</summary>
    private static bool SetsPipNoCacheDir(string script)
    {
        var at = script.IndexOf("PIP_NO_CACHE_DIR=", StringComparison.Ordinal);
        if (at < 0)
        {
            return false;
        }
        var value = script[(at + "PIP_NO_CACHE_DIR=".Length)..].TrimStart('"', '\'');
        return TruthyValues.Any(t => value.StartsWith(t, StringComparison.Ordinal));
    }

    /// <summary>Whether an ENV of the RUN's stage (before it) or of a stage it is built FROM sets PIP_NO_CACHE_DIR to a true value.</summary>
    private static bool PipNoCacheDirInEnvironment(LintContext context, InstructionSyntax run)
    {
        if (StageOf(context, run) is not { } stage)
        {
            return false;
        }
        string? value = null;
        foreach (var s in Lineage(context, stage).Reverse())
        {
            foreach (var env in s.Instructions.TakeWhile(i => !ReferenceEquals(i, run)).Where(i => i.Is("ENV")))
            {
                foreach (var (name, v) in Pairs(env))
                {
                    if (name == "PIP_NO_CACHE_DIR")
                    {
                        value = DropQuotes(v);
                    }
                }
            }
        }
        return value is not null && TruthyValues.Contains(value);
    }

    /// <summary>The packages of an <c>npm install</c> (install must be its first word), or null for any other npm command.</summary>
    private static IReadOnlyList<string>? NpmPackages(ShellCommand c)
    {
        if (c.Name != "npm")
        {
            return null;
        }
        var words = c.ArgsWithoutFlags(NpmValueFlags);
        return words.FirstOrDefault() is "install" or "i" ? [.. words.Skip(1)] : null;
    }

    private static bool NpmVersionFixed(string package)
    {
        if (new[] { "git://", "git+ssh://", "git+http://", "git+https://" }.Any(p => package.StartsWith(p, StringComparison.Ordinal)))
        {
            return package.Contains('#');
        }
        if (new[] { ".tar", ".tar.gz", ".tgz" }.Any(s => package.EndsWith(s, StringComparison.Ordinal))
            || new[] { "/", "./", "../", "~/" }.Any(p => package.StartsWith(p, StringComparison.Ordinal)))
        {
            return true;
        }
        var withoutScope = package.StartsWith('@') && package.IndexOf('/') is var slash and > 0 ? package[slash..] : package;
        return withoutScope.Contains('@');
    }

    /// <summary>The gems a <c>gem install</c> names: words before <c>--</c> that are neither flags nor the value after a flag.</summary>
    private static IEnumerable<string> GemNames(ShellCommand c)
    {
        var words = c.Args.TakeWhile(a => a != "--").ToList();
        for (var i = 0; i < words.Count; i++)
        {
            if (words[i].StartsWith('-'))
            {
                i += words[i].Contains('=') ? 0 : 1;
                continue;
            }
            if (words[i] is not ("install" or "i"))
            {
                yield return words[i];
            }
        }
    }

    /// <summary>
    /// The modules a go command fetches: every package of <c>go install</c> / <c>go get</c>, the program of <c>go run</c>
    /// (its own arguments follow it), without flags and the <c>tool</c> word.
    /// </summary>
    private static IEnumerable<string> GoPackages(ShellCommand c)
    {
        if (c.Name != "go")
        {
            return [];
        }
        var words = c.Args.Where(a => !a.StartsWith('-')).ToList();
        return words.FirstOrDefault() switch
        {
            "install" or "get" => words.Skip(1).Where(w => w != "tool"),
            "run" => words.Skip(1).Take(1),
            _ => [],
        };
    }

    private static bool GoVersionFixed(string package) =>
        package.StartsWith('.') || package.StartsWith('/')
        || (package.IndexOf('@') is var at and >= 0 && package[(at + 1)..] is { Length: > 0 } version && version != "latest");

    private static bool RemovesCache(ShellCommand c, string directory) =>
        c.Name == "rm" && c.Args.Any(a => a.StartsWith(directory, StringComparison.Ordinal));

    /// <summary>Whether some command installs and no cleanup comes after the last one that does.</summary>
    private static bool CleanMissingAfter(IReadOnlyList<ShellCommand> commands, Func<ShellCommand, bool> installs, Func<ShellCommand, bool> cleans)
    {
        var lastInstall = -1;
        for (var i = 0; i < commands.Count; i++)
        {
            if (installs(commands[i]))
            {
                lastInstall = i;
            }
        }
        return lastInstall >= 0 && !commands.Skip(lastInstall + 1).Any(cleans);
    }

    /// <summary>
    /// The RUNs of stages whose layers ship (the last stage, or one a later FROM builds on) for which
    /// <paramref name="violates"/> holds, and every ONBUILD RUN for which it holds (hadolint checks those on their own).
    /// </summary>
    private static IEnumerable<InstructionSyntax> InShippedStages(LintContext context, Func<InstructionSyntax, bool> violates) =>
        StageList(context).Where(s => ShipsLayers(context, s))
            .SelectMany(s => s.Instructions.Where(i => i.Is("RUN")))
            .Concat(OnbuildRuns(context))
            .Where(violates);

    /// <summary>
    /// yum / dnf pinning (DL3033, DL3041): every package needs a version after a dash (<c>name-1.2</c>, <c>name-1:1.2-3</c>),
    /// or a version in a variable the Dockerfile defines (an ARG, or an ENV of the stage or a stage it builds on);
    /// modules (<c>module install</c>) need a stream (<c>name:stream</c>).
    /// </summary>
    private static IEnumerable<LintFinding> RpmPinningFindings(LintContext context, LintRule rule, string[] tools)
    {
        var args = new HashSet<string>(StringComparer.Ordinal);
        foreach (var instruction in context.Syntax.Instructions.Concat(OnbuildRuns(context)).OrderBy(i => i.Span.Start.Line))
        {
            if (instruction.Is("ARG"))
            {
                args.UnionWith(instruction.Arguments.Select(a => a.Value.Split('=')[0]));
                continue;
            }
            if (!instruction.Is("RUN"))
            {
                continue;
            }
            HashSet<string>? variables = null;
            var unpinned = Commands(context, instruction).Where(c => tools.Contains(c.Name) && c.Has("install")).Any(c =>
            {
                if (variables is null)
                {
                    variables = new HashSet<string>(args, StringComparer.Ordinal);
                    variables.UnionWith(StageEnvironment(context, instruction));
                }
                var words = c.ArgsWithoutFlags(RpmValueFlags).Where(a => a is not ("install" or "module" or "group" or "groupinstall")).ToList();
                return c.Has("module") ? words.Any(m => !m.Contains(':'))
                    : !c.Has("group") && words.Any(p => !RpmVersionFixed(p, variables));
            });
            if (unpinned)
            {
                yield return Finding.At(rule, instruction);
            }
        }
    }

    private static bool RpmVersionFixed(string package, IReadOnlySet<string> variables)
    {
        var parts = package.Split('-');
        if (parts.Length <= 1)
        {
            return false;
        }
        if (package.EndsWith(".rpm", StringComparison.Ordinal))
        {
            return true;
        }
        if (package.Contains('$'))
        {
            return variables.Any(v => package.Contains("${" + v + "}", StringComparison.Ordinal) || ContainsBareVariable(package, v));
        }
        var version = parts.Skip(1).ToList();
        return version.All(p => p.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '~' or '^' or '_' or ':' or '+'))
            && version.Any(p => p.Length > 0 && char.IsAsciiDigit(p[0]));
    }

    private static bool ContainsBareVariable(string text, string name)
    {
        for (var at = text.IndexOf("$" + name, StringComparison.Ordinal); at >= 0; at = text.IndexOf("$" + name, at + 1, StringComparison.Ordinal))
        {
            var end = at + 1 + name.Length;
            if (end == text.Length || !(char.IsAsciiLetterOrDigit(text[end]) || text[end] == '_'))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The ENV names set before <paramref name="instruction"/> in its stage and in the stages it is built FROM.</summary>
    private static IEnumerable<string> StageEnvironment(LintContext context, InstructionSyntax instruction)
    {
        return StageOf(context, instruction) is not { } stage ? [] : Lineage(context, stage).SelectMany(s => s.Instructions.TakeWhile(i => !ReferenceEquals(i, instruction)))
            .Where(i => i.Is("ENV")).SelectMany(i => Pairs(i).Select(p => p.Name));
    }

    /// <summary>The name/value pairs of an ENV or LABEL (the parser gives name, value and separator for each).</summary>
    internal static IEnumerable<(string Name, string Value)> Pairs(InstructionSyntax instruction)
    {
        for (var i = 0; i + 1 < instruction.Arguments.Count; i += 3)
        {
            yield return (instruction.Arguments[i].Value, instruction.Arguments[i + 1].Value);
        }
    }
}
