using System.Text.RegularExpressions;
using Builder.Dockerfile.Syntax;

namespace Builder.Lint.Rules;

/// <summary>BuildKit's <c>docker build --check</c> rules, by their names.</summary>
public sealed partial class BuildKitChecks : RuleTable
{
    private static readonly string[] SecretWords = ["apikey", "auth", "credential", "credentials", "key", "password", "pword", "passwd", "secret", "token"];

    public BuildKitChecks()
    {
        Check("StageNameCasing", "Stage names should be lowercase",
            "FROM debian AS Build", "FROM debian AS build",
            (context, rule) => context.Syntax.Instructions.Where(i => i.Is("FROM") && i.Arguments.Count >= 3 && i.Arguments[2].Value != i.Arguments[2].Value.ToLowerInvariant())
                .Select(i => Finding.At(rule, i, $"Stage name '{i.Arguments[2].Value}' should be lowercase")));
        Check("FromAsCasing", "The 'as' keyword should match the case of the 'from' keyword",
            "FROM debian as build", "FROM debian AS build",
            (context, rule) => context.Syntax.Instructions.Where(i => i.Is("FROM") && i.Arguments.Count >= 3
                && IsUpper(i.Keyword) != IsUpper(i.Arguments[1].Value)).Select(i => Finding.At(rule, i, $"'{i.Arguments[1].Value}' and '{i.Keyword}' keywords' casing do not match")));
        Check("ConsistentInstructionCasing", "Instructions should be in consistent casing (all lower or all upper)",
            "FROM debian\nrun echo", "FROM debian\nRUN echo",
            (context, rule) =>
            {
                var upper = context.Syntax.Instructions.Count(i => IsUpper(i.Keyword));
                var majorityUpper = upper * 2 >= context.Syntax.Instructions.Count;
                return context.Syntax.Instructions.Where(i => i.Keyword != (majorityUpper ? i.Keyword.ToUpperInvariant() : i.Keyword.ToLowerInvariant()))
                    .Select(i => Finding.At(rule, i, $"Command '{i.Keyword}' should match the case of the command majority ({(majorityUpper ? "uppercase" : "lowercase")})"));
            });
        Check("DuplicateStageName", "Stage names should be unique",
            "FROM a AS x\nFROM b AS x", "FROM a AS x\nFROM b AS y",
            (context, rule) => context.Syntax.Instructions.Where(i => i.Is("FROM") && InstructionRules.StageName(i) is not null)
                .GroupBy(i => InstructionRules.StageName(i)!).SelectMany(g => g.Skip(1).Select(i => Finding.At(rule, i, $"Duplicate stage name '{g.Key}', stage names should be unique"))));
        Check("ReservedStageName", "Reserved words should not be used as stage names",
            "FROM debian AS scratch", "FROM debian AS base",
            (context, rule) => context.Syntax.Instructions.Where(i => i.Is("FROM") && InstructionRules.StageName(i) is "scratch" or "context")
                .Select(i => Finding.At(rule, i, $"'{InstructionRules.StageName(i)}' is reserved and should not be used as a stage name")));
        Check("JSONArgsRecommended", "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals",
            "CMD gunicorn app:app", "CMD [\"gunicorn\", \"app:app\"]",
            (context, rule) => context.Syntax.Instructions.Where(i => (i.Is("CMD") || i.Is("ENTRYPOINT")) && !i.IsJsonForm && i.Arguments.Count > 0
                    && !context.Syntax.Instructions.Any(s => s.Is("SHELL") && s.Span.Start.Line < i.Span.Start.Line))
                .Select(i => Finding.At(rule, i, $"JSON arguments recommended for {i.Name} to prevent unintended behavior related to OS signals")));
        Check("MaintainerDeprecated", "The MAINTAINER instruction is deprecated, use a label instead to define an image author",
            "MAINTAINER me", "LABEL org.opencontainers.image.authors=\"me\"",
            (context, rule) => context.Syntax.Instructions.Where(i => i.Is("MAINTAINER")).Select(i => Finding.At(rule, i)));
        Check("WorkdirRelativePath", "Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes",
            "FROM debian\nWORKDIR app", "FROM debian\nWORKDIR /app",
            (context, rule) => Stages(context).SelectMany(stage =>
            {
                var absolute = false;
                var found = new List<LintFinding>();
                foreach (var i in stage.Where(i => i.Is("WORKDIR")))
                {
                    var path = i.Arguments.FirstOrDefault()?.Value ?? "";
                    if (path.StartsWith('/') || path.StartsWith('$'))
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
                .SelectMany(i => Names(i).Where(IsSecretName).Select(name => Finding.At(rule, i, $"Do not use ARG or ENV instructions for sensitive data ({i.Name} \"{name}\")"))));
        Check("ExposeProtoCasing", "Protocol in EXPOSE instruction should be lowercase",
            "EXPOSE 80/TCP", "EXPOSE 80/tcp",
            (context, rule) => context.Syntax.Instructions.Where(i => i.Is("EXPOSE")).SelectMany(i => i.Arguments
                .Where(a => a.Value.Contains('/') && a.Value.Split('/')[1] != a.Value.Split('/')[1].ToLowerInvariant())
                .Select(a => Finding.At(rule, i, $"Defined protocol '{a.Value}' in EXPOSE instruction should be lowercase"))));
        Check("ExposeInvalidFormat", "IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release",
            "EXPOSE 127.0.0.1:80:80", "EXPOSE 80",
            (context, rule) => context.Syntax.Instructions.Where(i => i.Is("EXPOSE")).SelectMany(i => i.Arguments
                .Where(a => a.Value.Contains(':')).Select(a => Finding.At(rule, i, $"EXPOSE instruction should not define an IP address or host-port mapping, found '{a.Value}'"))));
        Check("UndefinedArgInFrom", "FROM command must use declared ARGs",
            "FROM debian:${VERSION}", "ARG VERSION=12\nFROM debian:${VERSION}",
            (context, rule) =>
            {
                var declared = new HashSet<string>(context.Syntax.Instructions.TakeWhile(i => !i.Is("FROM")).Where(i => i.Is("ARG"))
                    .SelectMany(i => i.Arguments.Select(a => a.Value.Split('=')[0])), StringComparer.Ordinal);
                declared.UnionWith(["TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT"]);
                return context.Syntax.Instructions.Where(i => i.Is("FROM"))
                    .SelectMany(i => Variables().Matches(i.ArgumentText).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value)
                        .Where(v => !declared.Contains(v)).Select(v => Finding.At(rule, i, $"FROM argument '{v}' is not declared")));
            });
        Check("RedundantTargetPlatform", "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior",
            "FROM --platform=$TARGETPLATFORM debian", "FROM debian",
            (context, rule) => context.Syntax.Instructions.Where(i => i.Is("FROM") && Flag(i, "platform") is "$TARGETPLATFORM" or "${TARGETPLATFORM}")
                .Select(i => Finding.At(rule, i)));
        Check("FromPlatformFlagConstDisallowed", "FROM --platform flag should not use a constant value",
            "FROM --platform=linux/amd64 debian", "FROM --platform=$BUILDPLATFORM debian",
            (context, rule) => context.Syntax.Instructions.Where(i => i.Is("FROM") && Flag(i, "platform") is { } p && !p.Contains('$'))
                .Select(i => Finding.At(rule, i, $"FROM --platform flag should not use constant value \"{Flag(i, "platform")}\"")));
        Check("UndefinedVar", "Variables should be defined before their use",
            "FROM debian:12\nCOPY $SRC /app", "FROM debian:12\nARG SRC=.\nCOPY $SRC /app",
            (context, rule) =>
            {
                // Only names nothing in the Dockerfile defines: a base image's ENV cannot be seen from here.
                var defined = new HashSet<string>(CommonEnvironment, StringComparer.Ordinal);
                foreach (var i in context.Syntax.Instructions.Where(i => i.Is("ARG")))
                {
                    defined.UnionWith(i.Arguments.Select(a => a.Value.Split('=')[0]));
                }
                foreach (var i in context.Syntax.Instructions.Where(i => i.Is("ENV")))
                {
                    defined.UnionWith(Names(i));
                }
                return context.Syntax.Instructions.Where(i => !(i.Is("RUN") || i.Is("CMD") || i.Is("ENTRYPOINT") || i.Is("HEALTHCHECK") || i.Is("SHELL") || i.Is("ONBUILD")))
                    .SelectMany(i => Variables().Matches(i.ArgumentText).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value)
                        .Where(v => !defined.Contains(v)).Distinct().Select(v => Finding.At(rule, i, $"Usage of undefined variable '${v}'")));
            });
        Check("InvalidDefaultArgInFrom", "Default value for global ArgKey ARG results in an empty or invalid base image name",
            "ARG TAG\nFROM busybox:${TAG}", "ARG TAG=1.36\nFROM busybox:${TAG}",
            (context, rule) =>
            {
                var withoutDefault = context.Syntax.Instructions.TakeWhile(i => !i.Is("FROM")).Where(i => i.Is("ARG"))
                    .SelectMany(i => i.Arguments.Select(a => a.Value)).Where(a => !a.Contains('=')).ToHashSet(StringComparer.Ordinal);
                return context.Syntax.Instructions.Where(i => i.Is("FROM") && i.Arguments.Count > 0)
                    .SelectMany(i => Variables().Matches(i.Arguments[0].Value).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value)
                        .Where(withoutDefault.Contains).Select(v => Finding.At(rule, i, $"Default value for ARG {i.Arguments[0].Value} results in empty or invalid base image name")));
            });
        Check("InvalidDefinitionDescription", "Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`",
            "# check=experimental=InvalidDefinitionDescription\n# the build stage\nFROM debian:12 AS builder",
            "# check=experimental=InvalidDefinitionDescription\n# builder compiles the app\nFROM debian:12 AS builder",
            (context, rule) => context.Syntax.Instructions.Where(i => (i.Is("FROM") && InstructionRules.StageName(i) is not null) || i.Is("ARG"))
                .SelectMany(i =>
                {
                    var name = i.Is("FROM") ? InstructionRules.StageName(i)! : i.Arguments.FirstOrDefault()?.Value.Split('=')[0] ?? "";
                    var above = context.Syntax.Comments.LastOrDefault(c => c.Span.Start.Line == i.Span.Start.Line - 1);
                    var text = above?.Text.TrimStart('#').Trim() ?? "";
                    return above is null || text.StartsWith("hadolint", StringComparison.Ordinal) || text.StartsWith("check=", StringComparison.Ordinal)
                        || text.Split(' ')[0].Equals(name, StringComparison.OrdinalIgnoreCase)
                        ? [] : new[] { Finding.At(rule, above.Span, $"Comment for {(i.Is("FROM") ? "build stage" : "build argument")} or argument should follow the format: `# {name} <description>`. If this is not intended to be a description comment, add an empty line or comment between the instruction and the comment.") };
                }));
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
                .Select(d => Finding.At(rule, d.Span)));
        Check("CopyIgnoredFile", "Attempting to Copy file that is excluded by .dockerignore",
            "COPY secret.txt /", "COPY app.py /",
            (context, rule) =>
            {
                if (context.IgnorePatterns is not { Count: > 0 } patterns)
                {
                    return [];
                }
                var matcher = Dockerfile.Ignore.DockerIgnoreMatcher.Create(patterns);
                return context.Syntax.Instructions.Where(i => (i.Is("COPY") || i.Is("ADD")) && Flag(i, "from") is null)
                    .SelectMany(i => i.Arguments.SkipLast(1).Where(a => !a.Value.Contains('$') && !a.Value.StartsWith("http", StringComparison.Ordinal) && matcher.IsExcluded(a.Value.TrimStart('/').TrimStart('.', '/')))
                        .Select(a => Finding.At(rule, i, $"Attempting to Copy file \"{a.Value}\" that is excluded by .dockerignore")));
            });
    }

    private static readonly HashSet<string> CommonEnvironment =
        ["PATH", "HOME", "HOSTNAME", "TERM", "LANG", "LC_ALL", "USER", "PWD", "SHELL", "TZ",
         "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT"];

    /// <summary>Checks BuildKit runs only when <c># check=experimental=…</c> names them.</summary>
    public static bool IsExperimental(string id) => id == "InvalidDefinitionDescription";

    /// <summary>BuildKit's checks are named in words; hadolint's rules are DLnnnn.</summary>
    public static bool IsCheck(string id) => !id.StartsWith("DL", StringComparison.Ordinal);

    private void Check(string name, string title, string bad, string good, Func<LintContext, LintRule, IEnumerable<LintFinding>> analyze)
    {
        Add(name, Severity.Warning, title, title + ".", bad, good, analyze);
    }

    private static bool IsUpper(string word) => word == word.ToUpperInvariant();

    private static IEnumerable<string> Names(InstructionSyntax instruction) => instruction.Is("ENV")
        ? instruction.Arguments.Where((_, index) => index % 3 == 0).Select(a => a.Value)
        : instruction.Arguments.Select(a => a.Value.Split('=')[0]);

    private static bool IsSecretName(string name)
    {
        var parts = SplitName().Split(name).Where(p => p.Length > 0).Select(p => p.ToLowerInvariant()).ToList();
        return parts.Any(p => SecretWords.Contains(p)) && !parts.Any(p => p is "public" or "file" or "path" or "url" or "id");
    }

    [GeneratedRegex(@"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))")]
    private static partial Regex Variables();

    [GeneratedRegex(@"[_\-.]|(?<=[a-z])(?=[A-Z])")]
    private static partial Regex SplitName();
}
