namespace Builder.Lint.Rules;

/// <summary>hadolint's package-manager rules: pin versions, answer prompts, clean caches, skip what is not needed.</summary>
public sealed class PackageManagerRules : RuleTable
{
    public PackageManagerRules()
    {
        // apt
        AddPerCommand("DL3008", Severity.Warning, "Pin versions in apt get install. Instead of `apt-get install <package>` use `apt-get install <package>=<version>`",
            "Unpinned packages change under the Dockerfile; the same build gives different images.",
            "RUN apt-get install -y curl", "RUN apt-get install -y curl=7.88.1-10+deb12u5",
            (c, _) => c.Name == "apt-get" && c.IsSub("install") && c.Operands("install").Any(p => !p.Contains('=') && !p.EndsWith(".deb", StringComparison.Ordinal)));
        Add("DL3009", Severity.Info, "Delete the apt-get lists after installing something",
            "The package lists are tens of megabytes the image does not need.",
            "RUN apt-get update && apt-get install -y curl", "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
            (context, rule) => Runs(context).Where(run =>
                Commands(run).Any(c => c.Name == "apt-get" && (c.IsSub("install") || c.IsSub("update")))
                && !Commands(run).Any(c => c.Name == "rm" && c.Args.Any(a => a.StartsWith("/var/lib/apt/lists", StringComparison.Ordinal)))
                && !CacheMounted(run, "/var/lib/apt/lists") && !CacheMounted(run, "/var/lib/apt")
                && IsFinalStageOrUnknown(context, run)).Select(run => Finding.At(rule, run)));
        AddPerCommand("DL3014", Severity.Warning, "Use the `-y` switch to avoid manual input `apt-get -y install <package>`",
            "A build cannot answer apt-get's question.", "RUN apt-get install curl", "RUN apt-get install -y curl",
            (c, _) => c.Name == "apt-get" && c.IsSub("install") && !c.HasAny("-y", "--yes", "--assume-yes", "-qq") && !c.Args.Contains("-q=2"));
        AddPerCommand("DL3015", Severity.Info, "Avoid additional packages by specifying `--no-install-recommends`",
            "Recommended packages are rarely needed in an image and make it bigger.",
            "RUN apt-get install -y curl", "RUN apt-get install -y --no-install-recommends curl",
            (c, _) => c.Name == "apt-get" && c.IsSub("install") && !c.Has("--no-install-recommends") && !c.Args.Any(a => a.Contains("Install-Recommends=false", StringComparison.Ordinal)));
        AddPerCommand("DL3027", Severity.Warning, "Do not use apt as it is meant to be a end-user tool, use apt-get or apt-cache instead",
            "apt's interface is not stable for scripts.", "RUN apt install -y curl", "RUN apt-get install -y curl",
            (c, _) => c.Name == "apt");
        // pip
        AddPerCommand("DL3013", Severity.Warning, "Pin versions in pip. Instead of `pip install <package>` use `pip install <package>==<version>` or `pip install --requirement <requirements file>`",
            "Unpinned packages change under the Dockerfile.", "RUN pip install django", "RUN pip install django==4.2.7",
            (c, _) => IsPip(c) && c.IsSub("install") && !c.HasAny("-r", "--requirement", "-c", "--constraint")
                && c.Operands("install").Any(p => !p.Contains("==") && !p.Contains(">=") && !p.Contains("<") && !p.Contains('@') && !p.EndsWith(".whl", StringComparison.Ordinal) && !p.StartsWith('.') && !p.StartsWith('/') && !p.Contains("://")));
        Add("DL3042", Severity.Warning, "Avoid use of cache directory with pip. Use `pip install --no-cache-dir <package>`",
            "pip's cache is dead weight in a layer (a RUN --mount=type=cache keeps it out instead).",
            "RUN pip install django==4.2.7", "RUN pip install --no-cache-dir django==4.2.7",
            (context, rule) => Runs(context).Where(run => Commands(run).Any(c => IsPip(c) && c.IsSub("install") && !c.Has("--no-cache-dir"))
                && !CacheMounted(run, ".cache/pip") && !context.Syntax.Instructions.Any(i => i.Is("ENV") && i.Arguments.Any(a => a.Value == "PIP_NO_CACHE_DIR")))
                .Select(run => Finding.At(rule, run)));
        // npm, yarn, gem, go
        AddPerCommand("DL3016", Severity.Warning, "Pin versions in npm. Instead of `npm install <package>` use `npm install <package>@<version>`",
            "Unpinned packages change under the Dockerfile.", "RUN npm install -g typescript", "RUN npm install -g typescript@5.3.3",
            (c, _) => c.Name == "npm" && (c.IsSub("install") || c.IsSub("i")) && (c.Operands("install").Concat(c.Operands("i")))
                .Any(p => !p.Contains('@', StringComparison.Ordinal) || (p.StartsWith('@') && p.IndexOf('@', 1) < 0)) && (c.Operands("install").Count + c.Operands("i").Count) > 0
                && !c.Operands("install").Concat(c.Operands("i")).All(p => p.StartsWith('.') || p.StartsWith('/') || p.Contains("://") || p.EndsWith(".tgz", StringComparison.Ordinal)));
        AddPerCommand("DL3060", Severity.Info, "`yarn cache clean` missing after `yarn install` was run.",
            "yarn's cache is dead weight in a layer.", "RUN yarn install", "RUN yarn install && yarn cache clean",
            (c, run) => c.Name == "yarn" && (c.IsSub("install") || c.Args.Count == 0) && !Commands(run).Any(o => o.Name == "yarn" && o.IsSub("cache") && o.Args.Contains("clean")));
        AddPerCommand("DL3028", Severity.Warning, "Pin versions in gem install. Instead of `gem install <gem>` use `gem install <gem>:<version>`",
            "Unpinned gems change under the Dockerfile.", "RUN gem install bundler", "RUN gem install bundler:2.4.22",
            (c, _) => c.Name == "gem" && c.IsSub("install") && !c.HasAny("-v", "--version") && c.Operands("install").Any(p => !p.Contains(':')));
        AddPerCommand("DL3062", Severity.Warning, "Pin versions in go install. Instead of `go install <package>` use `go install <package>@<version>`",
            "Unpinned modules change under the Dockerfile.", "RUN go install example.com/tool", "RUN go install example.com/tool@v1.2.3",
            (c, _) => c.Name == "go" && c.IsSub("install") && c.Operands("install").Any(p => !p.Contains('@') && !p.StartsWith('.')));
        // apk
        AddPerCommand("DL3018", Severity.Warning, "Pin versions in apk add. Instead of `apk add <package>` use `apk add <package>=<version>`",
            "Unpinned packages change under the Dockerfile.", "RUN apk add --no-cache curl", "RUN apk add --no-cache curl=8.5.0-r0",
            (c, _) => c.Name == "apk" && c.IsSub("add") && c.Operands("add").Any(p => !p.Contains('=') && !p.EndsWith(".apk", StringComparison.Ordinal)) && !c.Has("--virtual") && !c.Has("-t"));
        AddPerCommand("DL3019", Severity.Info, "Use the `--no-cache` switch to avoid the need to use `--update` and remove `/var/cache/apk/*` when done installing packages",
            "apk's index cache is dead weight in a layer.", "RUN apk add curl=8.5.0-r0", "RUN apk add --no-cache curl=8.5.0-r0",
            (c, run) => c.Name == "apk" && c.IsSub("add") && !c.Has("--no-cache") && !CacheMounted(run, "/var/cache/apk"));
        // yum
        AddPerCommand("DL3030", Severity.Warning, "Use the -y switch to avoid manual input `yum install -y <package>`",
            "A build cannot answer yum's question.", "RUN yum install httpd", "RUN yum install -y httpd",
            (c, _) => c.Name == "yum" && (c.IsSub("install") || c.IsSub("groupinstall") || c.IsSub("localinstall")) && !c.HasAny("-y", "--assumeyes"));
        Add("DL3032", Severity.Warning, "`yum clean all` missing after yum command.",
            "yum's cache is dead weight in a layer.", "RUN yum install -y httpd-2.4.57", "RUN yum install -y httpd-2.4.57 && yum clean all",
            (context, rule) => CleanMissing(context, rule, "yum", c => c.Name == "yum" && c.IsSub("clean") && c.Args.Contains("all"), "/var/cache/yum"));
        AddPerCommand("DL3033", Severity.Warning, "Specify version with `yum install -y <package>-<version>`.",
            "Unpinned packages change under the Dockerfile.", "RUN yum install -y httpd", "RUN yum install -y httpd-2.4.57",
            (c, _) => c.Name == "yum" && c.IsSub("install") && c.Operands("install").Any(p => !HasRpmVersion(p)));
        // zypper
        AddPerCommand("DL3034", Severity.Warning, "Non-interactive switch missing from `zypper` command: `zypper install -y`",
            "A build cannot answer zypper's question.", "RUN zypper install httpd", "RUN zypper -n install httpd",
            (c, _) => c.Name == "zypper" && (c.IsSub("install") || c.IsSub("in")) && !c.HasAny("-n", "--non-interactive", "-y", "--no-confirm"));
        AddPerCommand("DL3035", Severity.Warning, "Do not use `zypper dist-upgrade`.",
            "A distribution upgrade belongs in the base image, not in a build step.", "RUN zypper dist-upgrade", "FROM opensuse/leap:15.5",
            (c, _) => c.Name == "zypper" && (c.IsSub("dist-upgrade") || c.IsSub("dup")));
        Add("DL3036", Severity.Warning, "`zypper clean` missing after zypper use.",
            "zypper's cache is dead weight in a layer.", "RUN zypper -n install httpd=2.4", "RUN zypper -n install httpd=2.4 && zypper clean",
            (context, rule) => CleanMissing(context, rule, "zypper", c => c.Name == "zypper" && (c.IsSub("clean") || c.IsSub("cc")), "/var/cache/zypp"));
        AddPerCommand("DL3037", Severity.Warning, "Specify version with `zypper install -y <package>=<version>`.",
            "Unpinned packages change under the Dockerfile.", "RUN zypper -n install httpd", "RUN zypper -n install httpd=2.4",
            (c, _) => c.Name == "zypper" && (c.IsSub("install") || c.IsSub("in")) && c.Operands(c.IsSub("in") ? "in" : "install").Any(p => !p.Contains('=') && !p.Contains('>') && !p.Contains('<')));
        // dnf / microdnf
        AddPerCommand("DL3038", Severity.Warning, "Use the -y switch to avoid manual input `dnf install -y <package>`",
            "A build cannot answer dnf's question.", "RUN dnf install httpd", "RUN dnf install -y httpd",
            (c, _) => c.Name is "dnf" or "microdnf" && (c.IsSub("install") || c.IsSub("groupinstall")) && !c.HasAny("-y", "--assumeyes"));
        Add("DL3040", Severity.Warning, "`dnf clean all` missing after dnf command.",
            "dnf's cache is dead weight in a layer.", "RUN dnf install -y httpd-2.4.57", "RUN dnf install -y httpd-2.4.57 && dnf clean all",
            (context, rule) => CleanMissing(context, rule, "dnf", c => c.Name is "dnf" or "microdnf" && c.IsSub("clean") && c.Args.Contains("all"), "/var/cache/dnf", "microdnf"));
        AddPerCommand("DL3041", Severity.Warning, "Specify version with `dnf install -y <package>-<version>`.",
            "Unpinned packages change under the Dockerfile.", "RUN dnf install -y httpd", "RUN dnf install -y httpd-2.4.57",
            (c, _) => c.Name is "dnf" or "microdnf" && c.IsSub("install") && c.Operands("install").Any(p => !HasRpmVersion(p)));
    }

    private static bool IsPip(ShellCommand c) =>
        c.Name is "pip" or "pip3" || (c.Name.StartsWith("pip3.", StringComparison.Ordinal))
        || (c.Name.StartsWith("python", StringComparison.Ordinal) && c.Args.Count >= 2 && c.Args[0] == "-m" && c.Args[1] is "pip" or "pip3");

    private static bool HasRpmVersion(string package) =>
        package.Contains('-') && char.IsDigit(package[(package.LastIndexOf('-') + 1)..].FirstOrDefault())
        || package.EndsWith(".rpm", StringComparison.Ordinal) || package.StartsWith('@');

    private static bool CacheMounted(Dockerfile.Syntax.InstructionSyntax run, string target) =>
        run.Flags.Any(f => f.Name == "mount" && f.Value is { } v && v.Contains("type=cache", StringComparison.Ordinal)
            && v.Split(',').Any(field => field.Split('=', 2) is [var key, var value] && key is "target" or "dst" or "destination"
                && (value.TrimEnd('/') == target.TrimEnd('/') || value.TrimEnd('/').EndsWith(target.TrimEnd('/'), StringComparison.Ordinal))));

    // hadolint reports the missing cleanup only where the layer ships: in the last stage (an earlier one is discarded).
    private static bool IsFinalStageOrUnknown(LintContext context, Dockerfile.Syntax.InstructionSyntax run) =>
        Stages(context).LastOrDefault()?.Contains(run) ?? true;

    private static IEnumerable<LintFinding> CleanMissing(LintContext context, LintRule rule, string manager, Func<ShellCommand, bool> isClean, string cache, string? alias = null) =>
        Runs(context).Where(run =>
        {
            var commands = Commands(run);
            return commands.Any(c => (c.Name == manager || c.Name == alias) && (c.IsSub("install") || c.IsSub("in") || c.IsSub("groupinstall")))
                && !commands.Any(isClean)
                && !commands.Any(c => c.Name == "rm" && c.Args.Any(a => a.StartsWith(cache, StringComparison.Ordinal)))
                && !CacheMounted(run, cache);
        }).Select(run => Finding.At(rule, run));
}
