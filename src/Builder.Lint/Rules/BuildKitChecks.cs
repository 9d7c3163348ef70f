using System.Text.RegularExpressions;
using Builder.Dockerfile.Shell;
using Builder.Dockerfile.Syntax;

namespace Builder.Lint.Rules;

/// <summary>BuildKit's <c>docker build --check</c> rules, by their names, with BuildKit's messages.</summary>
public sealed partial class BuildKitChecks : RuleTable
{
    /// <summary>Arguments BuildKit defines for every FROM and every stage without an ARG.</summary>
    private static readonly string[] PlatformArgs =
        ["TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT"];

    /// <summary>Names never reported as undefined: the platform ARGs, the proxies, and BuildKit's own build arguments.</summary>
    private static readonly HashSet<string> NeverUndefined =
    [
        .. PlatformArgs, "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy",
        "ALL_PROXY", "all_proxy", "SOURCE_DATE_EPOCH", "BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE",
    ];

    /// <summary>The instructions whose words BuildKit expands itself (RUN, CMD and the like are left to the shell).</summary>
    private static readonly HashSet<string> ExpandedInstructions =
        new(["ADD", "COPY", "ENV", "EXPOSE", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR", "ARG"], StringComparer.OrdinalIgnoreCase);

    public BuildKitChecks()
    {
        Check("StageNameCasing", "Stage names should be lowercase",
            "FROM debian AS Build", "FROM debian AS build",
            (context, rule) => StageList(context).Where(s => s.Alias is { } alias && alias != alias.ToLowerInvariant())
                .Select(s => Finding.At(rule, s.From!, $"Stage name '{s.Alias}' should be lowercase")));
        Check("FromAsCasing", "The 'as' keyword should match the case of the 'from' keyword",
            "FROM debian as build", "FROM debian AS build",
            // Only a FROM that is itself consistently cased says which case 'as' should have.
            (context, rule) => context.Syntax.Instructions.Where(i => i.Is("FROM") && i.Arguments.Count >= 3 && i.Arguments[1].Value.Equals("as", StringComparison.OrdinalIgnoreCase)
                && ((IsLower(i.Keyword) && !IsLower(i.Arguments[1].Value)) || (IsUpper(i.Keyword) && !IsUpper(i.Arguments[1].Value))))
                .Select(i => Finding.At(rule, i, $"'{i.Arguments[1].Value}' and '{i.Keyword}' keywords' casing do not match")));
        Check("ConsistentInstructionCasing", "All commands within the Dockerfile should use the same casing (either upper or lower)",
            "FROM debian\nrun echo", "FROM debian\nRUN echo",
            (context, rule) =>
            {
                // The stages' instructions count (not the global ARGs before the first FROM), and only those consistently
                // cased themselves; a tie is uppercase.
                var instructions = context.Syntax.Instructions.Any(i => i.Is("FROM"))
                    ? context.Syntax.Instructions.SkipWhile(i => !i.Is("FROM")).ToList() : context.Syntax.Instructions;
                var lower = instructions.Count(i => IsLower(i.Keyword) && !IsUpper(i.Keyword));
                var upper = instructions.Count(i => IsUpper(i.Keyword) && !IsLower(i.Keyword));
                var majorityLower = lower > upper;
                return instructions.Where(i => majorityLower ? !IsLower(i.Keyword) : !IsUpper(i.Keyword))
                    .Select(i => Finding.At(rule, i, $"Command '{i.Keyword}' should match the case of the command majority ({(majorityLower ? "lowercase" : "uppercase")})"));
            });
        Check("DuplicateStageName", "Stage names should be unique",
            "FROM a AS x\nFROM b AS x", "FROM a AS x\nFROM b AS y",
            (context, rule) => StageList(context).Where(s => s.Name is not null).GroupBy(s => s.Name!)
                .SelectMany(g => g.Skip(1).Select(s => Finding.At(rule, s.From!, $"Duplicate stage name \"{g.Key}\", stage names should be unique"))));
        Check("ReservedStageName", "Reserved words should not be used as stage names",
            "FROM debian AS scratch", "FROM debian AS base",
            (context, rule) => StageList(context).Where(s => s.Name is "scratch" or "context")
                .Select(s => Finding.At(rule, s.From!, $"Stage name should not use the same name as reserved stage \"{s.Name}\"")));
        Check("JSONArgsRecommended", "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals",
            "CMD gunicorn app:app", "CMD [\"gunicorn\", \"app:app\"]",
            // A SHELL in the stage (or a stage it is built FROM) means the shell form is deliberate.
            (context, rule) => StageList(context).SelectMany(stage =>
            {
                var shellSet = Lineage(context, stage).Skip(1).Any(s => s.Instructions.Any(i => i.Is("SHELL")));
                var found = new List<LintFinding>();
                foreach (var i in stage.Instructions)
                {
                    shellSet |= i.Is("SHELL");
                    if ((i.Is("CMD") || i.Is("ENTRYPOINT")) && !i.IsJsonForm && i.Arguments.Count > 0 && !shellSet)
                    {
                        found.Add(Finding.At(rule, i, $"JSON arguments recommended for {i.Name} to prevent unintended behavior related to OS signals"));
                    }
                }
                return found;
            }));
        Check("MaintainerDeprecated", "The MAINTAINER instruction is deprecated, use a label instead to define an image author",
            "MAINTAINER me", "LABEL org.opencontainers.image.authors=\"me\"",
            (context, rule) => context.Syntax.Instructions.Where(i => i.Is("MAINTAINER"))
                .Select(i => Finding.At(rule, i, "Maintainer instruction is deprecated in favor of using label")));
        Check("WorkdirRelativePath", "Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes",
            "FROM debian\nWORKDIR app", "FROM debian\nWORKDIR /app",
            // An absolute WORKDIR in the stage, or in a stage it is built FROM, anchors the relative ones after it.
            (context, rule) => StageList(context).SelectMany(stage =>
            {
                var absolute = Lineage(context, stage).Skip(1).Any(s => s.Instructions.Any(i => i.Is("WORKDIR") && IsAbsolute(i.Arguments.FirstOrDefault()?.Value ?? "")));
                var found = new List<LintFinding>();
                foreach (var i in stage.Instructions.Where(i => i.Is("WORKDIR")))
                {
                    var path = i.Arguments.FirstOrDefault()?.Value ?? "";
                    if (IsAbsolute(path))
                    {
                        absolute = true;
                    }
                    else if (!absolute)
                    {
                        found.Add(Finding.At(rule, i, $"Relative workdir \"{path}\" can have unexpected results if the base image changes"));
                    }
                }
                return found;
            }));
        Check("MultipleInstructionsDisallowed", "Multiple instructions of the same type should not be used in the same stage",
            "FROM a\nCMD a\nCMD b", "FROM a\nCMD b",
            // Each one but the last is reported: it is the one that is ignored.
            (context, rule) => Stages(context).SelectMany(stage => new[] { "CMD", "ENTRYPOINT", "HEALTHCHECK" }.SelectMany(name =>
                stage.Where(i => i.Is(name)).SkipLast(1).Select(i => Finding.At(rule, i, $"Multiple {name} instructions should not be used in the same stage because only the last one will be used")))));
        Check("LegacyKeyValueFormat", "Legacy key/value format with whitespace separator should not be used",
            "ENV A 1", "ENV A=1",
            // The parser marks each pair's separator: "=" for KEY=value, "" for the legacy KEY value.
            (context, rule) => context.Syntax.Instructions.Where(i => (i.Is("ENV") || i.Is("LABEL")) && i.Arguments.Count >= 3 && i.Arguments[2].Value == "")
                .Select(i => Finding.At(rule, i, $"\"{i.Name} key=value\" should be used instead of legacy \"{i.Name} key value\" format")));
        Check("SecretsUsedInArgOrEnv", "Sensitive data should not be used in the ARG or ENV commands",
            "ARG PASSWORD", "RUN --mount=type=secret,id=password cat /run/secrets/password",
            (context, rule) => context.Syntax.Instructions.Where(i => i.Is("ARG") || i.Is("ENV"))
                .SelectMany(i => Names(i).Where(n => SecretName().IsMatch(n) && !AllowedName().IsMatch(n))
                    .Select(name => Finding.At(rule, i, $"Do not use ARG or ENV instructions for sensitive data ({i.Name} \"{name}\")"))));
        Check("ExposeProtoCasing", "Protocol in EXPOSE instruction should be lowercase",
            "EXPOSE 80/TCP", "EXPOSE 80/tcp",
            (context, rule) => context.Syntax.Instructions.Where(i => i.Is("EXPOSE")).SelectMany(i => i.Arguments
                .Where(a => a.Value.Contains('/') && a.Value.Split('/')[1] != a.Value.Split('/')[1].ToLowerInvariant())
                .Select(a => Finding.At(rule, i, $"Defined protocol '{a.Value}' in EXPOSE instruction should be lowercase"))));
        Check("ExposeInvalidFormat", "IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release",
            "EXPOSE 127.0.0.1:80:80", "EXPOSE 80",
            (context, rule) => context.Syntax.Instructions.Where(i => i.Is("EXPOSE")).SelectMany(i => i.Arguments
                .Where(a => a.Value.Split('/')[0].Contains(':')).Select(a => Finding.At(rule, i, $"EXPOSE instruction should not define an IP address or host-port mapping, found '{a.Value}'"))));
        Check("UndefinedArgInFrom", "FROM command must use declared ARGs",
            "FROM debian:${VERSION}", "ARG VERSION=12\nFROM debian:${VERSION}",
            (context, rule) =>
            {
                var declared = GlobalArgs(context).Select(a => a.Name).Concat(PlatformArgs).Distinct().ToList();
                var env = declared.ToDictionary(a => a, _ => "", StringComparer.Ordinal);
                return context.Syntax.Instructions.Where(i => i.Is("FROM")).SelectMany(i =>
                    FromWords(i).SelectMany(word => Expand(context, word, env)?.Unmatched ?? (IEnumerable<string>)[]).Distinct().Order(StringComparer.Ordinal)
                        .Select(v => Finding.At(rule, i, $"FROM argument '{v}' is not declared{DidYouMean(v, declared, "")}")));
            });
        Check("RedundantTargetPlatform", "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior",
            "FROM --platform=$TARGETPLATFORM debian", "FROM debian",
            (context, rule) => context.Syntax.Instructions.Where(i => i.Is("FROM") && Flag(i, "platform") is "$TARGETPLATFORM" or "${TARGETPLATFORM}")
                .Select(i => Finding.At(rule, i, $"Setting platform to predefined {Flag(i, "platform")} in FROM is redundant as this is the default behavior")));
        Check("FromPlatformFlagConstDisallowed", "FROM --platform flag should not use a constant value",
            "FROM --platform=linux/amd64 debian", "FROM --platform=$BUILDPLATFORM debian",
            // A stage whose name mentions the platform's OS or architecture pins it on purpose.
            (context, rule) => StageList(context).Where(s => s.From is not null && Flag(s.From, "platform") is { Length: > 0 } p && !p.Contains('$')
                    && Platform().Match(p) is { Success: true } m && !(s.Name is { } name && (name.Contains(m.Groups[1].Value, StringComparison.Ordinal)
                        || (m.Groups[2].Success && name.Contains(m.Groups[2].Value, StringComparison.Ordinal)))))
                .Select(s => Finding.At(rule, s.From!, $"FROM --platform flag should not use constant value \"{Flag(s.From!, "platform")}\"")));
        Check("UndefinedVar", "Variables should be defined before their use",
            "FROM debian:12\nCOPY $SRC /app", "FROM debian:12\nARG SRC=.\nCOPY $SRC /app",
            (context, rule) => UndefinedVariables(context, rule));
        Check("InvalidDefaultArgInFrom", "Default value for global ARG results in an empty or invalid base image name",
            "ARG TAG\nFROM busybox:${TAG}", "ARG TAG=1.36\nFROM busybox:${TAG}",
            (context, rule) =>
            {
                // The base names as they would be with no --build-arg: each global ARG's default, or empty.
                var env = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (name, value) in GlobalArgs(context))
                {
                    env[name] = value is null ? "" : Expand(context, value, env)?.Value ?? "";
                }
                return context.Syntax.Instructions.Where(i => i.Is("FROM") && i.Arguments.Count > 0 && i.Arguments[0].Value.Contains('$'))
                    .Where(i => Expand(context, i.Arguments[0].Value, env) is { } expanded && !ImageReference().IsMatch(expanded.Value))
                    .Select(i => Finding.At(rule, i, $"Default value for ARG {i.Arguments[0].Value} results in empty or invalid base image name"));
            });
        Check("InvalidDefinitionDescription", "Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`. If this is not intended to be a description comment, add an empty line or comment between the instruction and the comment.",
            "# check=experimental=InvalidDefinitionDescription\n# the build stage\nFROM debian:12 AS builder",
            "# check=experimental=InvalidDefinitionDescription\n# builder compiles the app\nFROM debian:12 AS builder",
            (context, rule) =>
            {
                return context.Syntax.Instructions.Where(i => i.Is("FROM") || i.Is("ARG")).SelectMany(i =>
                {
                    var keys = i.Is("FROM") ? (InstructionRules.StageName(i) is { } n ? [n] : new List<string>())
                        : i.Arguments.Select(a => a.Value.Split('=')[0]).ToList();
                    // The description is the last line of the comment block above the instruction (an empty '#' line ends a block).
                    var description = i.Comments.Count > 0 ? i.Comments[^1] : null;
                    if (keys.Count == 0 || description is null || keys.Contains(description.Split(' ')[0]))
                    {
                        return [];
                    }
                    var example = keys.Count > 1 ? "<arg_key>" : keys[0];
                    return new[] { Finding.At(rule, i, $"Comment for {i.Name} should follow the format: `# {example} <description>`") };
                });
            });
        Check("InvalidBaseImagePlatform", "Base image platform does not match expected target platform",
            "FROM arm64v8/debian:12", "FROM debian:12",
            (context, rule) => context.BaseImagePlatform is not { } platformOf ? [] : context.Syntax.Instructions
                .Where(i => i.Is("FROM") && Flag(i, "platform") is null && i.Arguments.FirstOrDefault()?.Value is { } image && !image.Contains('$'))
                .SelectMany(i => platformOf(i.Arguments[0].Value) is { } platform && platform != context.TargetPlatform
                    ? new[] { Finding.At(rule, i, $"Base image {i.Arguments[0].Value} was pulled with platform \"{platform}\", expected \"{context.TargetPlatform}\" for current build") }
                    : []));
        Check("NoEmptyContinuation", "Empty continuation lines will become errors in a future release",
            "RUN apt-get update \\\n\n    && apt-get install -y x", "RUN apt-get update \\\n    && apt-get install -y x",
            (context, rule) => context.Syntax.Diagnostics.Where(d => d.Message.Contains("empty continuation", StringComparison.OrdinalIgnoreCase))
                .Select(d => Finding.At(rule, d.Span, "Empty continuation line")));
        Check("CopyIgnoredFile", "Attempting to Copy file that is excluded by .dockerignore",
            "# check=experimental=CopyIgnoredFile\nCOPY secret.txt /", "# check=experimental=CopyIgnoredFile\nCOPY app.py /",
            (context, rule) =>
            {
                // With exclusions (!patterns) BuildKit cannot tell statically, and checks nothing.
                if (context.IgnorePatterns is not { Count: > 0 } patterns || patterns.Any(p => p.TrimStart().StartsWith('!')))
                {
                    return [];
                }
                var matcher = Dockerfile.Ignore.DockerIgnoreMatcher.Create(patterns);
                return context.Syntax.Instructions.Where(i => (i.Is("COPY") || i.Is("ADD")) && Flag(i, "from") is null && i.Heredocs.Count == 0)
                    .SelectMany(i => i.Arguments.SkipLast(1).Select(a => CleanPath(a.Value))
                        .Where(path => !path.Contains('$') && !path.StartsWith("http", StringComparison.Ordinal) && path.Length > 0 && matcher.IsExcluded(path))
                        .Select(path => Finding.At(rule, i, $"Attempting to {(i.Is("ADD") ? "Add" : "Copy")} file \"{path}\" that is excluded by .dockerignore")));
            });
    }

    /// <summary>Checks BuildKit runs only when <c># check=experimental=…</c> names them.</summary>
    public static bool IsExperimental(string id) => id is "InvalidDefinitionDescription" or "CopyIgnoredFile";

    /// <summary>BuildKit's checks are named in words; hadolint's rules are DLnnnn.</summary>
    public static bool IsCheck(string id) => !id.StartsWith("DL", StringComparison.Ordinal);

    private void Check(string name, string title, string bad, string good, Func<LintContext, LintRule, IEnumerable<LintFinding>> analyze)
    {
        Add(name, Severity.Warning, title, title + ".", bad, good, analyze);
    }

    private static readonly IReadOnlySet<string> EmptyNames = new HashSet<string>();

    private static bool IsUpper(string word) => !word.Any(char.IsLower);

    private static bool IsLower(string word) => !word.Any(char.IsUpper);

    private static bool IsAbsolute(string path) => path.StartsWith('/') || path.StartsWith('$') || (path.Length >= 2 && char.IsAsciiLetter(path[0]) && path[1] == ':');

    private static IEnumerable<string> Names(InstructionSyntax instruction) => instruction.Is("ENV")
        ? PackageManagerRules.Pairs(instruction).Select(p => p.Name)
        : instruction.Arguments.Select(a => a.Value.Split('=')[0]);

    /// <summary>The ARGs before the first FROM, with their defaults (null when none is given).</summary>
    private static IEnumerable<(string Name, string? Value)> GlobalArgs(LintContext context) =>
        context.Syntax.Instructions.TakeWhile(i => !i.Is("FROM")).Where(i => i.Is("ARG"))
            .SelectMany(i => i.Arguments.Select(a => a.Value.Split('=', 2) is [var n, var v] ? (n, (string?)v) : (a.Value, null)));

    /// <summary>The words of a FROM that BuildKit expands with the global ARGs: the image and the --platform value.</summary>
    private static IEnumerable<string> FromWords(InstructionSyntax from) =>
        from.Arguments.Take(1).Select(a => a.Value).Concat(Flag(from, "platform") is { } p ? [p] : []);

    private static ShellExpansion? Expand(LintContext context, string word, IReadOnlyDictionary<string, string> env)
    {
        if (word.AsSpan().IndexOfAny('$', '"', '\'') < 0 && !word.Contains(context.Syntax.EscapeChar))
        {
            // Nothing to expand, no quote or escape to process: the word is its own value.
            return new ShellExpansion(word, [word], EmptyNames, EmptyNames);
        }
        try
        {
            return new ShellLexer(context.Syntax.EscapeChar).ProcessWord(word, env);
        }
        catch (ShellExpansionException)
        {
            return null;
        }
    }

    /// <summary>
    /// UndefinedVar: a variable a BuildKit-expanded word uses that nothing defined before it in the stage — an ARG or
    /// ENV of the stage or of the stage it is built FROM, or PATH, which every image has.
    /// </summary>
    private static IEnumerable<LintFinding> UndefinedVariables(LintContext context, LintRule rule)
    {
        var found = new List<LintFinding>();
        var stages = StageList(context);
        var environments = new Dictionary<string, string>[stages.Count];
        foreach (var stage in stages)
        {
            if (stage.From is null && stages.Count > 1)
            {
                // The global ARGs before the first FROM: their defaults are expanded with each other, not checked.
                environments[stage.Index] = [];
                continue;
            }
            var env = stage.Parent is { } parent
                ? new Dictionary<string, string>(environments[parent], StringComparer.Ordinal)
                : new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = "" };
            foreach (var i in stage.Instructions.Where(i => ExpandedInstructions.Contains(i.Keyword)))
            {
                var words = i.Is("ENV") || i.Is("LABEL") ? PackageManagerRules.Pairs(i).SelectMany(p => new[] { p.Name, p.Value })
                    : i.Is("ARG") ? i.Arguments.Select(a => a.Value.Split('=', 2)).Where(p => p.Length == 2).Select(p => p[1])
                    : i.Arguments.Select(a => a.Value).Concat(i.Flags.Where(f => f.Name is "chown" or "chmod").Select(f => f.Value).OfType<string>());
                var unmatched = words.SelectMany(w => Expand(context, w, env)?.Unmatched ?? (IEnumerable<string>)[])
                    .Where(v => !NeverUndefined.Contains(v)).Distinct().Order(StringComparer.Ordinal).ToList();
                found.AddRange(unmatched.Select(v => Finding.At(rule, i, $"Usage of undefined variable '${v}'{DidYouMean(v, env.Keys, "$")}")));
                foreach (var name in i.Is("ENV") ? PackageManagerRules.Pairs(i).Select(p => p.Name)
                    : i.Is("ARG") ? i.Arguments.Select(a => a.Value.Split('=')[0]) : [])
                {
                    env[name] = "";
                }
            }
            environments[stage.Index] = env;
        }
        return found;
    }

    /// <summary>BuildKit's suggestion: the option nearest to <paramref name="name"/> within two edits, if any.</summary>
    private static string DidYouMean(string name, IEnumerable<string> options, string prefix)
    {
        string? match = null;
        var best = 3;
        foreach (var option in options)
        {
            if (option == name)
            {
                return "";
            }
            var distance = Levenshtein(name, option);
            if (distance < best)
            {
                (match, best) = (option, distance);
            }
        }
        return match is null ? "" : $" (did you mean {prefix}{match}?)";
    }

    private static int Levenshtein(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    /// <summary>A COPY source as BuildKit matches it against .dockerignore: cleaned, relative to the context root.</summary>
    private static string CleanPath(string source)
    {
        var parts = new List<string>();
        foreach (var part in source.Replace('\\', '/').Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }
            if (part == ".." && parts.Count > 0)
            {
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    [GeneratedRegex(@"(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)")]
    private static partial Regex SecretName();

    [GeneratedRegex(@"(?i)(?:_|^)(?:public|file|version)(?:_|$)")]
    private static partial Regex AllowedName();

    [GeneratedRegex(@"^([a-z0-9_-]+)(?:/([a-z0-9_-]+)(?:/[a-z0-9_.-]+)?)?$", RegexOptions.IgnoreCase)]
    private static partial Regex Platform();

    /// <summary>The docker reference grammar, roughly: lower-case path components, an optional tag, an optional digest.</summary>
    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$")]
    private static partial Regex ImageReference();
}
