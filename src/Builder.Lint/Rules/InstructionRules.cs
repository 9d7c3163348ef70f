using System.Globalization;
using System.Text.RegularExpressions;
using Builder.Dockerfile.Syntax;

namespace Builder.Lint.Rules;

/// <summary>hadolint's rules about instructions themselves: FROM, USER, WORKDIR, COPY/ADD, CMD/ENTRYPOINT, EXPOSE…</summary>
public sealed partial class InstructionRules : RuleTable
{
    public InstructionRules()
    {
        // Reported while pragmas are read (DockerfileLinter), when the config sets disable-ignore-pragma.
        Add("DL1001", Severity.Ignore, "Please refrain from using inline ignore pragmas `# hadolint ignore=DLxxxx`.",
            "A project may want every exception in its config, where it is reviewed, not scattered through Dockerfiles.",
            "# hadolint ignore=DL3006\nFROM debian", "FROM debian:12", (_, _) => []);
        AddPerInstruction("DL3000", Severity.Error, "Use absolute WORKDIR",
            "A relative WORKDIR depends on every WORKDIR before it; absolute paths say where you are.",
            "WORKDIR app", "WORKDIR /app",
            (i, _) => i.Is("WORKDIR") && i.Arguments.FirstOrDefault()?.Value is { } path && !path.StartsWith('/') && !path.StartsWith('$') && !WindowsPath().IsMatch(path));
        Add("DL3002", Severity.Warning, "Last USER should not be root",
            "A container that runs as root gives an attacker root inside it; switch to an unprivileged user last.",
            "FROM debian\nUSER root", "FROM debian\nUSER app",
            (context, rule) => Stages(context).TakeLast(1).SelectMany(stage =>
                stage.LastOrDefault(i => i.Is("USER")) is { } user && user.Arguments.FirstOrDefault()?.Value.Split(':')[0] is "root" or "0"
                    ? [Finding.At(rule, user)] : Array.Empty<LintFinding>()));
        AddPerInstruction("DL3006", Severity.Warning, "Always tag the version of an image explicitly",
            "An untagged FROM takes whatever latest is today; builds stop being repeatable.",
            "FROM debian", "FROM debian:12.5",
            (i, context) => i.Is("FROM") && i.Arguments.FirstOrDefault()?.Value is { } image && image != "scratch" && !image.Contains('$')
                && !image.Contains('@') && !HasTag(image) && !StageNames(context).Contains(image.ToLowerInvariant()));
        AddPerInstruction("DL3007", Severity.Warning, "Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag",
            "latest moves; pin a release so the same Dockerfile builds the same image.",
            "FROM debian:latest", "FROM debian:12.5",
            (i, _) => i.Is("FROM") && i.Arguments.FirstOrDefault()?.Value is { } image && !image.Contains('@') && image.EndsWith(":latest", StringComparison.Ordinal));
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
            (i, _) => i.Is("ADD") && i.Arguments.Count >= 2 && i.Arguments.SkipLast(1).All(a => !IsUrl(a.Value) && !IsArchive(a.Value)) && i.Heredocs.Count == 0);
        AddPerInstruction("DL3021", Severity.Error, "COPY with more than 2 arguments requires the last argument to end with /",
            "Several sources can only go into a directory, and the trailing slash says so.",
            "COPY a b /dest", "COPY a b /dest/",
            (i, _) => i.Is("COPY") && i.Arguments.Count > 2 && !i.Arguments[^1].Value.EndsWith('/'));
        Add("DL3022", Severity.Warning, "COPY --from should reference a previously defined FROM alias",
            "A --from that names no earlier stage pulls an image of that name instead, usually by mistake.",
            "FROM a AS build\nFROM b\nCOPY --from=biuld /x /x", "FROM a AS build\nFROM b\nCOPY --from=build /x /x",
            (context, rule) => CopyFromFindings(context, rule, (from, earlier, _) =>
                !from.All(char.IsAsciiDigit) && !earlier.Contains(from) && !from.Contains(':') && !from.Contains('/') && !from.Contains('$')));
        Add("DL3023", Severity.Error, "COPY --from cannot reference its own FROM alias",
            "A stage cannot copy from itself.",
            "FROM a AS build\nCOPY --from=build /x /y", "FROM a AS build\nFROM b\nCOPY --from=build /x /y",
            (context, rule) => CopyFromFindings(context, rule, (from, _, own) => own == from));
        Add("DL3024", Severity.Error, "FROM aliases (stage names) must be unique",
            "Two stages with one name make every reference to it ambiguous.",
            "FROM a AS x\nFROM b AS x", "FROM a AS x\nFROM b AS y",
            (context, rule) => context.Syntax.Instructions.Where(i => i.Is("FROM") && StageName(i) is not null)
                .GroupBy(i => StageName(i)!).SelectMany(g => g.Skip(1)).Select(i => Finding.At(rule, i)));
        AddPerInstruction("DL3025", Severity.Warning, "Use arguments JSON notation for CMD and ENTRYPOINT arguments",
            "The shell form runs under /bin/sh -c, which does not pass signals on: the process never sees SIGTERM.",
            "CMD gunicorn app:app", "CMD [\"gunicorn\", \"app:app\"]",
            (i, _) => (i.Is("CMD") || i.Is("ENTRYPOINT")) && !i.IsJsonForm && i.Arguments.Count > 0);
        Add("DL3026", Severity.Error, "Use only an allowed registry in the FROM image",
            "Images from registries the project does not trust may not be vetted.",
            "FROM evil.example/app:1", "FROM docker.io/library/debian:12",
            (context, rule) => context.Config.TrustedRegistries.Count == 0 ? [] : context.Syntax.Instructions
                .Where(i => i.Is("FROM") && i.Arguments.FirstOrDefault()?.Value is { } image && image != "scratch" && !StageNames(context).Contains(image.ToLowerInvariant())
                    && !context.Config.TrustedRegistries.Contains(Registry(image), StringComparer.OrdinalIgnoreCase))
                .Select(i => Finding.At(rule, i)));
        AddPerInstruction("DL3029", Severity.Warning, "Do not use --platform flag with FROM",
            "A fixed platform makes the Dockerfile build the wrong image on other machines; pass --platform to the build.",
            "FROM --platform=linux/amd64 debian:12", "FROM debian:12",
            (i, _) => i.Is("FROM") && Flag(i, "platform") is { } platform && !platform.Contains('$'));
        AddPerInstruction("DL3043", Severity.Error, "`ONBUILD`, `FROM` or `MAINTAINER` triggered from within `ONBUILD` instruction.",
            "Those instructions are not allowed as ONBUILD triggers.",
            "ONBUILD FROM debian", "ONBUILD RUN make",
            (i, _) => i.Is("ONBUILD") && i.Trigger is { } t && (t.Is("ONBUILD") || t.Is("FROM") || t.Is("MAINTAINER")));
        AddPerInstruction("DL3044", Severity.Error, "Do not refer to an environment variable within the same `ENV` statement where it is defined.",
            "Within one ENV, a variable defined there is not yet set when the others are expanded.",
            "ENV A=1 B=$A", "ENV A=1\nENV B=$A",
            (i, _) => i.Is("ENV") && SelfReferencingEnv(i));
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
                        if (i.Is("COPY") && !workdirSet && i.Arguments.Count >= 2 && i.Arguments[^1].Value is var dest
                            && !dest.StartsWith('/') && !dest.StartsWith('$') && !WindowsPath().IsMatch(dest))
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
            (context, rule) => Stages(context).SelectMany(stage => stage.Zip(stage.Skip(1))
                .Where(p => p.First.Is("RUN") && p.Second.Is("RUN") && p.First.Flags.Count == 0 && p.Second.Flags.Count == 0)
                .Select(p => Finding.At(rule, p.Second))));
        Add("DL3061", Severity.Error, "Invalid instruction order. Dockerfile must begin with `FROM`, `ARG` or comment.",
            "Instructions before the first FROM (other than ARG) belong to no stage.",
            "LABEL a=b\nFROM debian", "FROM debian\nLABEL a=b",
            (context, rule) => context.Syntax.Instructions.TakeWhile(i => !i.Is("FROM")).Where(i => !i.Is("ARG")).Take(1).Select(i => Finding.At(rule, i)));
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
        var defaults = context.Syntax.Instructions.TakeWhile(i => !i.Is("FROM")).Where(i => i.Is("ARG"))
            .SelectMany(i => i.Arguments.Select(a => a.Value.Split('=', 2))).Where(p => p.Length == 2)
            .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.Last()[1].Trim('"'));
        return Regex.Replace(image, @"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", m => defaults.GetValueOrDefault(m.Groups[1].Value, m.Value));
    }

    private static HashSet<string> StageNames(LintContext context) =>
        [.. context.Syntax.Instructions.Where(i => i.Is("FROM")).Select(StageName).OfType<string>()];

    private static IEnumerable<LintFinding> CopyFromFindings(LintContext context, LintRule rule, Func<string, HashSet<string>, string?, bool> violates)
    {
        var earlier = new HashSet<string>(StringComparer.Ordinal);
        string? own = null;
        foreach (var i in context.Syntax.Instructions)
        {
            if (i.Is("FROM"))
            {
                if (own is not null)
                {
                    earlier.Add(own);
                }
                own = StageName(i);
                continue;
            }
            if (i.Is("COPY") && Flag(i, "from") is { } from && violates(from.ToLowerInvariant(), earlier, own))
            {
                yield return Finding.At(rule, i);
            }
        }
    }

    private static bool HasTag(string image)
    {
        var lastSlash = image.LastIndexOf('/');
        return image.IndexOf(':', lastSlash + 1) >= 0;
    }

    private static string Registry(string image)
    {
        var first = image.Split('/')[0];
        return image.Contains('/') && (first.Contains('.') || first.Contains(':') || first == "localhost") ? first : "docker.io";
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

    private static bool IsArchive(string source) =>
        new[] { ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".gz", ".bz2", ".xz", ".zst", ".tar.zst" }
            .Any(e => source.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    private static bool SelfReferencingEnv(InstructionSyntax env)
    {
        var defined = new HashSet<string>(StringComparer.Ordinal);
        var words = env.Arguments.Select(a => a.Value).ToList();
        // BuildKit's parser gives ENV as name, value, separator triples.
        for (var i = 0; i + 1 < words.Count; i += 3)
        {
            var value = words[i + 1];
            if (defined.Any(name => Regex.IsMatch(value, $@"\$\{{?{Regex.Escape(name)}\b")))
            {
                return true;
            }
            defined.Add(words[i]);
        }
        return false;
    }

    [GeneratedRegex(@"^[A-Za-z]:[\\/]")]
    private static partial Regex WindowsPath();
}
