using static Builder.Lint.Tests.Behaviour;

namespace Builder.Lint.Tests;

/// <summary>hadolint's label rules (DL3048–DL3058) and its HEALTHCHECK rule (DL3057), case by case.</summary>
public sealed class LabelBehaviourTests
{
    private static LintConfig Schema(string label, string type, bool strict = false) =>
        new() { LabelSchema = new Dictionary<string, string> { [label] = type }, StrictLabels = strict };

    public static TheoryData<string, string, int[]> KeyCases => new()
    {
        { "DL3048", Lines("LABEL com.docker.extension=\"x\""), [1] },
        { "DL3048", Lines("LABEL io.docker.thing=\"x\""), [1] },
        { "DL3048", Lines("LABEL org.dockerproject.thing=\"x\""), [1] },
        { "DL3048", Lines("LABEL bad$key=\"x\""), [1] },
        { "DL3048", Lines("LABEL Upper.case=\"x\""), [1] },
        { "DL3048", Lines("LABEL under_score=\"x\""), [1] },
        { "DL3048", Lines("LABEL .leading=\"x\""), [1] },
        { "DL3048", Lines("LABEL -leading=\"x\""), [1] },
        { "DL3048", Lines("LABEL 9leading=\"x\""), [1] },
        { "DL3048", Lines("LABEL trailing.=\"x\""), [1] },
        { "DL3048", Lines("LABEL two..dots=\"x\""), [1] },
        { "DL3048", Lines("LABEL two--dashes=\"x\""), [1] },
        { "DL3048", Lines("LABEL org.example.build-id2=\"x\""), [] },
        { "DL3048", Lines("LABEL simple=\"x\""), [] },
        { "DL3048", Lines("LABEL good=1 -bad=2"), [1] },
        // DL3057: every stage needs a HEALTHCHECK of its own or from the stage it is built on
        { "DL3057", Lines("FROM alpine:3.20"), [1] },
        { "DL3057", Lines("FROM alpine:3.20", "HEALTHCHECK CMD [\"/bin/check\"]"), [] },
        { "DL3057", Lines("FROM alpine:3.20 AS base", "HEALTHCHECK CMD [\"/bin/check\"]", "FROM base"), [] },
        { "DL3057", Lines("FROM alpine:3.20 AS base", "HEALTHCHECK CMD [\"/bin/check\"]", "FROM alpine:3.20"), [3] },
        // A HEALTHCHECK (NONE too) counts for the stages its stage is built on, up the chain, as hadolint's bookkeeping has it.
        { "DL3057", Lines("FROM alpine:3.20 AS base", "FROM base AS final", "HEALTHCHECK NONE"), [] },
        { "DL3057", Lines("FROM alpine:3.20", "ONBUILD HEALTHCHECK CMD [\"/bin/check\"]"), [1] }, // a trigger is not this image's
        { "DL3057", Lines("FROM alpine:3.20 AS one", "FROM one AS two", "FROM two", "HEALTHCHECK CMD [\"/bin/check\"]"), [] },
        { "DL3057", Lines("FROM alpine:3.20 AS one", "FROM alpine:3.20 AS two", "HEALTHCHECK CMD [\"/bin/check\"]"), [1] },
        // A stage without an alias is named by its image: a later FROM of that image starts healthy.
        { "DL3057", Lines("FROM alpine:3.20", "HEALTHCHECK CMD [\"/bin/check\"]", "FROM alpine:3.19 AS next"), [] },
        { "DL3057", Lines("FROM docker.io/library/alpine:3.20", "HEALTHCHECK CMD [\"/bin/check\"]", "FROM library/alpine AS next"), [] },
    };

    [Theory]
    [MemberData(nameof(KeyCases))]
    public void The_rule_reports_exactly_these_lines(string id, string dockerfile, int[] lines) =>
        Assert.Equal(lines, LinesOf(id, dockerfile));

    [Fact]
    public void Healthcheck_missing_is_off_unless_the_config_raises_it()
    {
        Assert.DoesNotContain(DockerfileLinter.Lint(Lines("FROM alpine:3.20"), "Dockerfile", LintConfig.Default), f => f.RuleId == "DL3057");
        Assert.Equal(Severity.Ignore, DockerfileLinter.Rule("DL3057")!.DefaultSeverity);
        Assert.Equal(["`HEALTHCHECK` instruction missing."], MessagesOf("DL3057", Lines("FROM alpine:3.20"),
            new LintConfig { Overrides = new Dictionary<string, Severity> { ["DL3057"] = Severity.Warning } }));
    }

    public static TheoryData<string, string, string, string, int[]> SchemaCases => new()
    {
        // DL3049 missing label, per stage
        { "DL3049", "owner", "text", Lines("FROM base-image"), [1] },
        { "DL3049", "owner", "text", Lines("FROM base-image", "LABEL other=\"x\""), [1] },
        { "DL3049", "owner", "text", Lines("FROM base-image", "LABEL owner=\"team\""), [] },
        { "DL3049", "owner", "text", Lines("FROM one", "FROM two"), [1, 2] },
        { "DL3049", "owner", "text", Lines("FROM one", "LABEL a=\"b\"", "FROM two", "LABEL c=\"d\""), [1, 3] },
        { "DL3049", "owner", "text", Lines("FROM one", "FROM two", "LABEL owner=\"team\""), [1] },
        { "DL3049", "owner", "text", Lines("FROM one", "LABEL a=\"b\"", "FROM two", "LABEL owner=\"team\""), [1] },
        // hadolint's bookkeeping: a LABEL excuses the earlier stages aliased as its stage is named (an unaliased stage is
        // named by its image), so a stage built FROM base and labelled counts for base; an aliased one does not.
        { "DL3049", "owner", "text", Lines("FROM one AS base", "FROM base", "LABEL owner=\"team\""), [] },
        { "DL3049", "owner", "text", Lines("FROM one AS base", "FROM base AS final", "LABEL owner=\"team\""), [1] },
        // A stage copied from is a source, not an image: COPY --from excuses it (once it exists).
        { "DL3049", "owner", "text", Lines("FROM one AS build", "FROM two", "COPY --from=build /a /a", "LABEL owner=\"team\""), [] },
        { "DL3049", "owner", "text", Lines("FROM one AS build", "FROM two", "COPY --from=Build /a /a", "LABEL owner=\"team\""), [1] },
        { "DL3049", "owner", "text", Lines("FROM one AS base", "LABEL owner=\"team\"", "FROM base AS next", "FROM next"), [] },
        { "DL3049", "owner", "text", Lines("FROM one", "ONBUILD LABEL owner=\"team\""), [1] },
        { "DL3049", "owner", "text", Lines("FROM one AS base", "LABEL owner=\"team\"", "FROM base"), [] },
        // DL3050 strict labels
        { "DL3050", "required", "text", Lines("FROM alpine:3.20"), [] },
        { "DL3050", "required", "text", Lines("LABEL required=\"x\""), [] },
        { "DL3050", "required", "text", Lines("LABEL other=\"x\""), [1] },
        { "DL3050", "required", "text", Lines("LABEL required=\"x\" other=\"y\""), [1] },
        // DL3051 empty (whatever the type)
        { "DL3051", "desc", "text", Lines("LABEL desc=\"\""), [1] },
        { "DL3051", "desc", "text", Lines("LABEL desc=\"a service\""), [] },
        { "DL3051", "desc", "text", Lines("LABEL other=\"\""), [] },
        { "DL3051", "home", "url", Lines("LABEL home=\"\""), [1] },
        // DL3052 URL
        { "DL3052", "home", "url", Lines("LABEL home=\"not a url\""), [1] },
        { "DL3052", "home", "url", Lines("LABEL home=\"https://example.com/app\""), [] },
        { "DL3052", "home", "url", Lines("LABEL home=\"ftp://example.com/pub\""), [] },
        { "DL3052", "home", "url", Lines("LABEL other=\"not a url\""), [] },
        // DL3053 RFC 3339
        { "DL3053", "created", "rfc3339", Lines("LABEL created=\"yesterday\""), [1] },
        { "DL3053", "created", "rfc3339", Lines("LABEL created=\"2024-05-01T08:30:00.123456789+02:00\""), [] },
        { "DL3053", "created", "rfc3339", Lines("LABEL created=\"2024-05-01T08:30:00Z\""), [] },
        { "DL3053", "created", "rfc3339", Lines("LABEL other=\"yesterday\""), [] },
        // DL3054 SPDX
        { "DL3054", "license", "spdx", Lines("LABEL license=\"my-own-license\""), [1] },
        { "DL3054", "license", "spdx", Lines("LABEL license=\"Apache-2.0\""), [] },
        { "DL3054", "license", "spdx", Lines("LABEL license=\"MIT\""), [] },
        { "DL3054", "license", "spdx", Lines("LABEL other=\"my-own-license\""), [] },
        // DL3055 git hash
        { "DL3055", "revision", "hash", Lines("LABEL revision=\"not-a-hash\""), [1] },
        { "DL3055", "revision", "hash", Lines("LABEL revision=\"9fceb02\""), [] },
        { "DL3055", "revision", "hash", Lines("LABEL revision=\"9fceb02d0ae598e95dc970b74767f19372d61af8\""), [] },
        { "DL3055", "revision", "hash", Lines("LABEL revision=\"9fceb02d0a\""), [1] },
        { "DL3055", "revision", "hash", Lines("LABEL other=\"not-a-hash\""), [] },
        // DL3056 semver
        { "DL3056", "version", "semver", Lines("LABEL version=\"one\""), [1] },
        { "DL3056", "version", "semver", Lines("LABEL version=\"1.4.2\""), [] },
        { "DL3056", "version", "semver", Lines("LABEL version=\"2.0.0-beta.1\""), [] },
        { "DL3056", "version", "semver", Lines("LABEL version=\"1.4\""), [1] },
        { "DL3056", "version", "semver", Lines("LABEL other=\"one\""), [] },
        // DL3058 email
        { "DL3058", "maintainer", "email", Lines("LABEL maintainer=\"nobody\""), [1] },
        { "DL3058", "maintainer", "email", Lines("LABEL maintainer=\"ops@example.com\""), [] },
        { "DL3058", "maintainer", "email", Lines("LABEL other=\"nobody\""), [] },
    };

    [Theory]
    [MemberData(nameof(SchemaCases))]
    public void With_a_label_schema_the_rule_reports_exactly_these_lines(string id, string label, string type, string dockerfile, int[] lines)
    {
        Assert.Equal(lines, LinesOf(id, dockerfile, Schema(label, type, strict: id == "DL3050")));
        Assert.Empty(LinesOf(id, dockerfile));
    }

    [Fact]
    public void Strict_labels_without_a_schema_refuse_every_label() =>
        Assert.Equal([1], LinesOf("DL3050", Lines("LABEL any=\"x\""), new LintConfig { StrictLabels = true }));

    [Fact]
    public void Label_messages_name_the_label()
    {
        Assert.Equal(["Label `owner` is missing."], MessagesOf("DL3049", Lines("FROM a:1"), Schema("owner", "text")));
        Assert.Equal(["label `desc` is empty."], MessagesOf("DL3051", Lines("LABEL desc=\"\""), Schema("desc", "text")));
        Assert.Equal(["Label `home` is not a valid URL."], MessagesOf("DL3052", Lines("LABEL home=\"x\""), Schema("home", "url")));
        Assert.Equal(["Label `license` is not a valid SPDX identifier."], MessagesOf("DL3054", Lines("LABEL license=\"x\""), Schema("license", "spdx")));
        Assert.Equal(["Label `version` does not conform to semantic versioning."], MessagesOf("DL3056", Lines("LABEL version=\"x\""), Schema("version", "semver")));
        Assert.Equal(["Label `maintainer` is not a valid email format - must be conform to RFC5322."],
            MessagesOf("DL3058", Lines("LABEL maintainer=\"x\""), Schema("maintainer", "email")));
        Assert.Equal(["Superfluous label(s) present."], MessagesOf("DL3050", Lines("LABEL a=\"b\""), Schema("x", "text", strict: true)));
        Assert.Equal(Severity.Style, DockerfileLinter.Rule("DL3048")!.DefaultSeverity);
        Assert.Equal(Severity.Info, DockerfileLinter.Rule("DL3049")!.DefaultSeverity);
        Assert.Equal(Severity.Warning, DockerfileLinter.Rule("DL3058")!.DefaultSeverity);
    }
}
