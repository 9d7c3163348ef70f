using System.Globalization;
using System.Text.RegularExpressions;
using Builder.Dockerfile.Syntax;

namespace Builder.Lint.Rules;

/// <summary>hadolint's rules about instructions themselves: FROM, USER, WORKDIR, COPY/ADD, CMD/ENTRYPOINT, EXPOSE…</summary>
public sealed partial class InstructionRules : RuleTable
{
    private static readonly string[] ArchiveExtensions =
        [".tar", ".Z", ".bz2", ".gz", ".lz", ".lzma", ".tZ", ".tb2", ".tbz", ".tbz2", ".tgz", ".tlz", ".tpz", ".txz", ".xz"];

    private static readonly HashSet<string> KnownSensitiveNames =
    [
        "ACCESS_TOKEN", "APPLICATION_KEY", "APP_SECRET", "AUTH_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
        "BITTREX_API_KEY", "BITTREX_API_SECRET", "CF_PASSWORD", "CF_USERNAME", "CIRCLE_TOKEN", "CI_DEPLOY_PASSWORD",
        "CI_DEPLOY_USER", "DOCKERHUB_PASSWORD", "DOCKER_EMAIL", "DOCKER_PASSWORD", "DOCKER_USERNAME", "FACEBOOK_ACCESS_TOKEN",
        "FACEBOOK_APP_ID", "FACEBOOK_APP_SECRET", "FIREBASE_API_TOKEN", "FIREBASE_TOKEN", "FOSSA_API_KEY", "GH_ENTERPRISE_TOKEN",
        "GH_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "GITHUB_TOKEN", "HEROKU_API_KEY", "HEROKU_API_USER", "NPM_AUTH_TOKEN", "NPM_TOKEN",
        "OKTA_AUTHN_GROUPID", "OKTA_CLIENT_ORGURL", "OKTA_CLIENT_TOKEN", "OKTA_OAUTH2_CLIENTID", "OKTA_OAUTH2_CLIENTSECRET",
        "OPENAI_API_KEY", "OS_PASSWORD", "OS_USERNAME", "POSTGRES_PASSWORD", "SLACK_TOKEN", "STRIPE_API_KEY", "STRIPE_DEVICE_NAME",
        "TRAVIS_OS_NAME", "TRAVIS_SECURE_ENV_VARS", "TRAVIS_SUDO", "VAULT_CLIENT_KEY", "VAULT_TOKEN",
    ];

    private static readonly string[] SensitiveFragments = ["api_key", "client_key", "password", "private", "secret", "token", "username"];

    public InstructionRules()
    {
        // Reported while pragmas are read (DockerfileLinter): every inline ignore pragma; off unless the config raises it.
        Add("DL1001", Severity.Ignore, "Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.",
            "A project may want every exception in its config, where it is reviewed, not scattered through Dockerfiles.",
            "# hadolint ignore=DL3006\nFROM debian", "FROM debian:12", (_, _) => []);
        AddPerInstruction("DL3000", Severity.Error, "Use absolute WORKDIR",
            "A relative WORKDIR depends on every WORKDIR before it; absolute paths say where you are.",
            "WORKDIR app", "WORKDIR /app",
            (i, _) => i.Is("WORKDIR") && i.Arguments.FirstOrDefault()?.Value is { } path && DropQuotes(path) is var p
                && !p.StartsWith('/') && !p.StartsWith('$') && !IsWindowsAbsolute(p));
        Add("DL3002", Severity.Warning, "Last USER should not be root",
            "A container that runs as root gives an attacker root inside it; switch to an unprivileged user last.",
            "FROM debian\nUSER root", "FROM debian\nUSER app",
            (context, rule) => Stages(context).SelectMany(stage =>
                stage.LastOrDefault(i => i.Is("USER")) is { } user && IsRoot(user.Arguments.FirstOrDefault()?.Value ?? "")
                    ? [Finding.At(rule, user)] : Array.Empty<LintFinding>()));
        Add("DL3006", Severity.Warning, "Always tag the version of an image explicitly",
            "An untagged FROM takes whatever latest is today; builds stop being repeatable.",
            "FROM debian", "FROM debian:12.5",
            // An image that is all a variable ($BASE) may carry its own tag; one that only ends in a variable shows none,
            // unless the global ARGs' defaults make it an earlier stage's name (FROM deps-${FLAVOUR}).
            (context, rule) => StageList(context).Where(s => s.From is not null).Where(s =>
                s.BaseImage is { Length: > 0 } image && image != "scratch" && !image.StartsWith('$') && !image.Contains('@') && !HasTag(image)
                && WithGlobalArgs(context, image).ToLowerInvariant() is var resolved
                && !StageList(context).Take(s.Index).Any(earlier => earlier.Name == image.ToLowerInvariant() || earlier.Name == resolved))
                .Select(s => Finding.At(rule, s.From!)));
        AddPerInstruction("DL3007", Severity.Warning, "Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag",
            "latest moves; pin a release so the same Dockerfile builds the same image.",
            "FROM debian:latest", "FROM debian:12.5",
            (i, _) => i.Is("FROM") && i.Arguments.FirstOrDefault()?.Value is { } image && Tag(image) == "latest");
        AddPerInstruction("DL3011", Severity.Error, "Valid UNIX ports range from 0 to 65535",
            "A port outside 0-65535 cannot be exposed.",
            "EXPOSE 80000", "EXPOSE 8000",
            (i, _) => i.Is("EXPOSE") && i.Arguments.Any(a => Ports(a.Value).Any(p => p > 65535)));
        Add("DL3012", Severity.Error, "Multiple `HEALTHCHECK` instructions",
            "Only the last HEALTHCHECK of a stage counts; the others mislead.",
            "FROM a\nHEALTHCHECK CMD a\nHEALTHCHECK CMD b", "FROM a\nHEALTHCHECK CMD b",
            (context, rule) => Stages(context).SelectMany(stage => stage.Where(i => i.Is("HEALTHCHECK")).Skip(1).Select(i => Finding.At(rule, i))));
        AddPerInstruction("DL3020", Severity.Error, "Use COPY instead of ADD for files and folders",
            "ADD also fetches URLs and unpacks archives; COPY says plainly that a file is copied.",
            "ADD app.py /app/", "COPY app.py /app/",
            (i, _) => i.Is("ADD") && i.Arguments.Count >= 2 && i.Heredocs.Count == 0
                && i.Arguments.SkipLast(1).Any(a => DropQuotes(a.Value) is var source && !IsUrl(source) && !IsArchive(source)));
        AddPerInstruction("DL3021", Severity.Error, "COPY with more than 2 arguments requires the last argument to end with /",
            "Several sources can only go into a directory, and the trailing slash says so.",
            "COPY a b /dest", "COPY a b /dest/",
            (i, _) => i.Is("COPY") && i.Arguments.Count > 2 && !DropQuotes(i.Arguments[^1].Value).EndsWith('/'));
        AddPerInstruction("DL3067", Severity.Warning, "Do not copy an entire filesystem from another stage",
            "COPY --from=x / / drags a whole image's files (its package databases, its /etc) over this stage's; copy what is needed.",
            "FROM a AS build\nFROM b\nCOPY --from=build / /", "FROM a AS build\nFROM b\nCOPY --from=build /app /app",
            (i, _) => (i.Trigger ?? i) is var copy && copy.Is("COPY") && Flag(copy, "from") is not null && copy.Arguments.Count >= 2
                && DropQuotes(copy.Arguments[^1].Value) == "/" && copy.Arguments.SkipLast(1).Any(a => DropQuotes(a.Value) == "/"));
        Add("DL3022", Severity.Warning, "`COPY --from` should reference a previously defined `FROM` alias",
            "A --from that names no earlier stage pulls an image of that name instead, usually by mistake.",
            "FROM a AS build\nFROM b\nCOPY --from=biuld /x /x", "FROM a AS build\nFROM b\nCOPY --from=build /x /x",
            (context, rule) => CopyFromFindings(context, rule, (from, stage) =>
                !DropQuotes(from).Contains(':') && !from.Contains('$')
                && !StageList(context).Take(stage.Index + 1).Any(s => s.Name == from.ToLowerInvariant())
                && !(int.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index <= StageCount(context, stage))));
        Add("DL3023", Severity.Error, "`COPY --from` cannot reference its own `FROM` alias",
            "A stage cannot copy from itself.",
            "FROM a AS build\nCOPY --from=build /x /y", "FROM a AS build\nFROM b\nCOPY --from=build /x /y",
            (context, rule) => CopyFromFindings(context, rule, (from, stage) => stage.Name is { } own && own == from.ToLowerInvariant()));
        Add("DL3024", Severity.Error, "FROM aliases (stage names) must be unique",
            "Two stages with one name make every reference to it ambiguous.",
            "FROM a AS x\nFROM b AS x", "FROM a AS x\nFROM b AS y",
            (context, rule) => StageList(context).Where(s => s.Name is not null).GroupBy(s => s.Name!)
                .SelectMany(g => g.Skip(1)).Select(s => Finding.At(rule, s.From!)));
        AddPerInstruction("DL3025", Severity.Warning, "Use arguments JSON notation for CMD and ENTRYPOINT arguments",
            "The shell form runs under /bin/sh -c, which does not pass signals on: the process never sees SIGTERM.",
            "CMD gunicorn app:app", "CMD [\"gunicorn\", \"app:app\"]",
            (i, _) => ((i.Is("CMD") || i.Is("ENTRYPOINT")) && !i.IsJsonForm && i.Arguments.Count > 0)
                || (i.Is("HEALTHCHECK") && i.Arguments.FirstOrDefault()?.Value.Equals("CMD", StringComparison.OrdinalIgnoreCase) == true
                    && !i.IsJsonForm && i.Arguments.Count > 1));
        Add("DL3026", Severity.Error, "Use only an allowed registry in the FROM image",
            "Images from registries the project does not trust may not be vetted.",
            "FROM evil.example/app:1", "FROM docker.io/library/debian:12",
            (context, rule) => context.Config.TrustedRegistries.Count == 0 ? [] : StageList(context).Where(s => s.From is not null
                && s.BaseImage is { Length: > 0 } image && image != "scratch"
                && !StageList(context).Take(s.Index).Any(earlier => earlier.Name == image.ToLowerInvariant())
                && !RegistryAllowed(image, context.Config.TrustedRegistries))
                .Select(s => Finding.At(rule, s.From!))
                .Concat(UntrustedSourceImages(context, rule)));
        AddPerInstruction("DL3029", Severity.Warning, "Do not use --platform flag with FROM",
            "A fixed platform makes the Dockerfile build the wrong image on other machines; pass --platform to the build.",
            "FROM --platform=linux/amd64 debian:12", "FROM debian:12",
            (i, _) => i.Is("FROM") && Flag(i, "platform") is { Length: > 0 } platform && !platform.Contains('$'));
        AddPerInstruction("DL3043", Severity.Error, "`ONBUILD`, `FROM` or `MAINTAINER` triggered from within `ONBUILD` instruction.",
            "Those instructions are not allowed as ONBUILD triggers.",
            "ONBUILD FROM debian", "ONBUILD RUN make",
            (i, _) => i.Is("ONBUILD") && i.Trigger is { } t && (t.Is("ONBUILD") || t.Is("FROM") || t.Is("MAINTAINER")));
        Add("DL3044", Severity.Error, "Do not refer to an environment variable within the same `ENV` statement where it is defined.",
            "Within one ENV, a variable defined there is not yet set when the others are expanded.",
            "ENV A=1 B=$A", "ENV A=1\nENV B=$A",
            (context, rule) =>
            {
                var defined = new HashSet<string>(StringComparer.Ordinal);
                var found = new List<LintFinding>();
                foreach (var i in context.Syntax.Instructions)
                {
                    if (i.Is("ARG"))
                    {
                        defined.UnionWith(i.Arguments.Select(a => a.Value.Split('=')[0]));
                    }
                    else if (i.Is("ENV"))
                    {
                        var pairs = PackageManagerRules.Pairs(i).ToList();
                        var selfReferencing = pairs.Select((pair, index) => (pair.Name, index)).Any(p => !defined.Contains(p.Name)
                            && pairs.Where((_, other) => other != p.index).Any(o => ReferencesVariable(o.Value, p.Name)));
                        if (selfReferencing)
                        {
                            found.Add(Finding.At(rule, i));
                        }
                        defined.UnionWith(pairs.Select(p => p.Name));
                    }
                }
                return found;
            });
        Add("DL3045", Severity.Warning, "`COPY` to a relative destination without `WORKDIR` set.",
            "Where a relative destination lands depends on the base image's WORKDIR.",
            "FROM a\nCOPY app.py app/", "FROM a\nWORKDIR /srv\nCOPY app.py app/",
            (context, rule) =>
            {
                // A stage built FROM another stage inherits its WORKDIR.
                var stagesWithWorkdir = new HashSet<string>(StringComparer.Ordinal);
                var found = new List<LintFinding>();
                foreach (var stage in Stages(context))
                {
                    var from = stage[0].Is("FROM") ? WithGlobalArgs(context, stage[0].Arguments.FirstOrDefault()?.Value ?? "").ToLowerInvariant() : null;
                    var workdirSet = from is not null && stagesWithWorkdir.Contains(from);
                    foreach (var i in stage)
                    {
                        workdirSet |= i.Is("WORKDIR");
                        if (i.Is("COPY") && !workdirSet && i.Arguments.Count >= 2 && DropQuotes(i.Arguments[^1].Value) is var dest
                            && !dest.StartsWith('/') && !dest.StartsWith('$') && !IsWindowsAbsolute(dest))
                        {
                            found.Add(Finding.At(rule, i));
                        }
                    }
                    if (workdirSet && StageName(stage[0]) is { } name)
                    {
                        stagesWithWorkdir.Add(name);
                    }
                }
                return found;
            });
        Add("DL3059", Severity.Info, "Multiple consecutive `RUN` instructions. Consider consolidation.",
            "Each RUN adds a layer; consecutive ones that belong together make the image bigger.",
            "RUN apt-get update\nRUN apt-get install -y x", "RUN apt-get update && apt-get install -y x",
            // RUNs that each run one command, with the same flags (a different --mount is a reason to split).
            (context, rule) => context.Syntax.Instructions.Zip(context.Syntax.Instructions.Skip(1))
                .Where(p => p.First.Is("RUN") && p.Second.Is("RUN")
                    && p.First.Flags.Select(f => f.Text).SequenceEqual(p.Second.Flags.Select(f => f.Text))
                    && CommandCount(context, p.First) <= 1 && CommandCount(context, p.Second) <= 1)
                .Select(p => Finding.At(rule, p.Second)));
        Add("DL3061", Severity.Error, "Invalid instruction order. Dockerfile must begin with `FROM`, `ARG` or comment.",
            "Instructions before the first FROM (other than ARG) belong to no stage.",
            "LABEL a=b\nFROM debian", "FROM debian\nLABEL a=b",
            (context, rule) => context.Syntax.Instructions.TakeWhile(i => !i.Is("FROM")).Where(i => !i.Is("ARG")).Select(i => Finding.At(rule, i)));
        Add("DL3063", Severity.Warning, "stage name should not be a reserved word",
            "scratch and context mean something to the builder already; a stage of that name shadows them.",
            "FROM debian:12 AS scratch", "FROM debian:12 AS base",
            (context, rule) => StageList(context).Where(s => s.Alias is "scratch" or "context").Select(s => Finding.At(rule, s.From!)));
        AddPerInstruction("DL3064", Severity.Warning, "Potentially sensitive data should not be used in the `ARG` or `ENV` commands",
            "ARG and ENV values are kept in the image; pass secrets with a secret mount instead.",
            "ARG GITHUB_TOKEN", "RUN --mount=type=secret,id=github_token cat /run/secrets/github_token",
            (i, _) => (i.Is("ARG") || i.Is("ENV")) && VariableNames(i).Any(IsSensitiveName));
        AddPerInstruction("DL3065", Severity.Warning, "Setting `FROM --platform` to predefined `$TARGETPLATFORM` in is redundant as this is the default behavior",
            "A stage is built for the target platform unless told otherwise.",
            "FROM --platform=$TARGETPLATFORM debian:12", "FROM debian:12",
            (i, _) => i.Is("FROM") && Flag(i, "platform") is "$TARGETPLATFORM" or "${TARGETPLATFORM}");
        Add("DL3066", Severity.Info, "Non-numeric user-id may not be resolvable by host system",
            "A host (Kubernetes' runAsNonRoot, say) cannot look a user name up in the image's /etc/passwd; a number needs no lookup.",
            "FROM debian:12\nUSER app", "FROM debian:12\nUSER 1000",
            (context, rule) =>
            {
                // Only the USER that takes effect counts: the last one of the last stage.
                var last = Stages(context).LastOrDefault()?.LastOrDefault(i => i.Is("USER"));
                if (last is null)
                {
                    return [];
                }
                var user = last.Arguments.FirstOrDefault()?.Value ?? "";
                var uid = user.Split(':')[0];
                var args = context.Syntax.Instructions.TakeWhile(i => !ReferenceEquals(i, last)).Where(i => i.Is("ARG"))
                    .SelectMany(i => i.Arguments.Select(a => a.Value.Split('=')[0]));
                return uid.All(char.IsAsciiDigit) || args.Any(a => user.Contains("${" + a + "}", StringComparison.Ordinal) || user.Contains("$" + a, StringComparison.Ordinal))
                    ? [] : [Finding.At(rule, last)];
            });
        AddPerInstruction("DL4000", Severity.Error, "MAINTAINER is deprecated",
            "MAINTAINER was replaced by the org.opencontainers.image.authors label.",
            "MAINTAINER me@example.com", "LABEL org.opencontainers.image.authors=\"me@example.com\"",
            (i, _) => i.Is("MAINTAINER"));
        Add("DL4003", Severity.Warning, "Multiple `CMD` instructions found. If you list more than one `CMD` then only the last `CMD` will take effect",
            "Only the last CMD of a stage counts.", "FROM a\nCMD a\nCMD b", "FROM a\nCMD b",
            (context, rule) => Stages(context).SelectMany(stage => stage.Where(i => i.Is("CMD")).Skip(1).Select(i => Finding.At(rule, i))));
        Add("DL4004", Severity.Error, "Multiple `ENTRYPOINT` instructions found. If you list more than one `ENTRYPOINT` then only the last `ENTRYPOINT` will take effect",
            "Only the last ENTRYPOINT of a stage counts.", "FROM a\nENTRYPOINT a\nENTRYPOINT b", "FROM a\nENTRYPOINT b",
            (context, rule) => Stages(context).SelectMany(stage => stage.Where(i => i.Is("ENTRYPOINT")).Skip(1).Select(i => Finding.At(rule, i))));
    }

    internal static string? StageName(InstructionSyntax from) =>
        from.Arguments.Count >= 3 && from.Arguments[1].Value.Equals("as", StringComparison.OrdinalIgnoreCase) ? from.Arguments[2].Value.ToLowerInvariant() : null;

    /// <summary>A FROM image with the global ARGs' defaults put in, so <c>FROM deps-${DEPS}</c> finds its stage.</summary>
    internal static string WithGlobalArgs(LintContext context, string image)
    {
        if (!image.Contains('$'))
        {
            return image;
        }
        var defaults = context.Syntax.Instructions.TakeWhile(i => !i.Is("FROM")).Where(i => i.Is("ARG"))
            .SelectMany(i => i.Arguments.Select(a => a.Value.Split('=', 2))).Where(p => p.Length == 2)
            .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.Last()[1].Trim('"'));
        return Variable().Replace(image, m => defaults.GetValueOrDefault(m.Groups[1].Value, m.Value));
    }

    /// <summary>Whether <paramref name="text"/> refers to <c>$name</c> or <c>${name}</c> (and not to <c>$nameLonger</c>).</summary>
    internal static bool ReferencesVariable(string text, string name)
    {
        if (text.Contains("${" + name + "}", StringComparison.Ordinal))
        {
            return true;
        }
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

    /// <summary>The COPY --from findings; <paramref name="violates"/> sees the --from value and the COPY's stage.</summary>
    private static IEnumerable<LintFinding> CopyFromFindings(LintContext context, LintRule rule, Func<string, LintStage, bool> violates) =>
        StageList(context).SelectMany(stage => stage.Instructions
            .Where(i => i.Is("COPY") && Flag(i, "from") is { Length: > 0 } from && violates(from, stage))
            .Select(i => Finding.At(rule, i)));

    /// <summary>
    /// DL3026 beyond FROM: the images <c>COPY --from=IMAGE</c> and <c>RUN --mount=…,from=IMAGE</c> pull (a stage's name or
    /// index is no image; a reference built from variables is not known here), ONBUILD triggers included.
    /// </summary>
    private static IEnumerable<LintFinding> UntrustedSourceImages(LintContext context, LintRule rule)
    {
        var stages = StageList(context).Select(s => s.Name).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        bool IsImage(string from) => from.Length > 0 && from != "scratch" && !from.Contains('$') && !from.All(char.IsAsciiDigit) && !stages.Contains(from);
        foreach (var instruction in context.Syntax.Instructions)
        {
            var effective = instruction.Trigger ?? instruction;
            IEnumerable<string> sources = effective.Is("COPY") ? [Flag(effective, "from") ?? ""]
                : effective.Is("RUN") ? effective.Flags.Where(f => f.Name == "mount" && f.Value is not null)
                    .Select(f => f.Value!.Split(',').Select(field => field.Split('=', 2)).FirstOrDefault(kv => kv[0] == "from") is [_, var from] ? from : "")
                : [];
            if (sources.Any(from => IsImage(from) && !RegistryAllowed(from, context.Config.TrustedRegistries)))
            {
                yield return Finding.At(rule, instruction);
            }
        }
    }

    /// <summary>How many FROMs come before the COPY's stage ends, i.e. the stage indexes --from=N may use (N below this).</summary>
    private static int StageCount(LintContext context, LintStage stage) =>
        StageList(context).Take(stage.Index + 1).Count(s => s.From is not null) - 1;

    private static int CommandCount(LintContext context, InstructionSyntax run) => Commands(context, run).Count;

    private static bool IsRoot(string user) =>
        user is "root" or "0" || user.StartsWith("root:", StringComparison.Ordinal) || user.StartsWith("0:", StringComparison.Ordinal);

    private static bool IsWindowsAbsolute(string path) => path.Length >= 2 && char.IsAsciiLetter(path[0]) && path[1] == ':';

    private static bool HasTag(string image) => Tag(image) is not null;

    /// <summary>The tag of an image reference (what follows the last ':' after the last '/', before any digest).</summary>
    private static string? Tag(string image)
    {
        var name = image.Split('@')[0];
        var colon = name.IndexOf(':', name.LastIndexOf('/') + 1);
        return colon < 0 ? null : name[(colon + 1)..];
    }

    /// <summary>
    /// Whether the image's registry is trusted: named exactly, by a <c>*.domain</c> wildcard, or by <c>*</c>;
    /// an image without a registry host comes from Docker Hub (docker.io or hub.docker.com).
    /// </summary>
    private static bool RegistryAllowed(string image, IReadOnlyList<string> trusted)
    {
        var first = image.Split('/')[0];
        var registry = image.Contains('/') && (first.Contains('.') || first.Contains(':') || first == "localhost") ? first : null;
        if (trusted.Contains("*"))
        {
            return true;
        }
        if (registry is null)
        {
            return trusted.Any(t => t.Equals("docker.io", StringComparison.OrdinalIgnoreCase) || t.Equals("hub.docker.com", StringComparison.OrdinalIgnoreCase));
        }
        return trusted.Any(t => t.Equals(registry, StringComparison.OrdinalIgnoreCase)
            || (t.StartsWith("*.", StringComparison.Ordinal) && registry.EndsWith(t[1..], StringComparison.OrdinalIgnoreCase)));
    }

    private static IEnumerable<int> Ports(string text)
    {
        var port = text.Split('/')[0];
        foreach (var part in port.Split('-'))
        {
            if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                yield return number;
            }
        }
    }

    private static bool IsUrl(string source) => source.StartsWith("http://", StringComparison.Ordinal) || source.StartsWith("https://", StringComparison.Ordinal);

    private static bool IsArchive(string source) => ArchiveExtensions.Any(e => source.EndsWith(e, StringComparison.Ordinal));

    private static IEnumerable<string> VariableNames(InstructionSyntax instruction) => instruction.Is("ENV")
        ? PackageManagerRules.Pairs(instruction).Select(p => p.Name)
        : instruction.Arguments.Select(a => a.Value.Split('=')[0]);

    private static bool IsSensitiveName(string name) =>
        KnownSensitiveNames.Contains(name.ToUpperInvariant()) || SensitiveFragments.Any(f => name.Contains(f, StringComparison.OrdinalIgnoreCase));

    [GeneratedRegex(@"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")]
    private static partial Regex Variable();
}
