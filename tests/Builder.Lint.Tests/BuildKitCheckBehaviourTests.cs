using static Builder.Lint.Tests.Behaviour;

namespace Builder.Lint.Tests;

/// <summary>
/// BuildKit's build checks, case by case: which check reports what, on which line, and with the message BuildKit
/// prints (users grep for it). The cases restate what BuildKit's lint tests assert, in snippets of our own.
/// </summary>
public sealed class BuildKitCheckBehaviourTests
{
    /// <summary>(check, Dockerfile, the expected "line: message" findings of that check).</summary>
    public static TheoryData<string, string, string[]> Cases => new()
    {
        { "StageNameCasing", Lines("", "FROM scratch AS Builder", "FROM scratch AS ok"), ["2: Stage name 'Builder' should be lowercase"] },
        { "FromAsCasing", Lines("FROM scratch as base", "FROM scratch AS other"), ["1: 'as' and 'FROM' keywords' casing do not match"] },
        { "FromAsCasing", Lines("from scratch AS base", "from scratch as other"), ["1: 'AS' and 'from' keywords' casing do not match"] },
        { "FromAsCasing", Lines("From scratch as base"), [] },
        { "NoEmptyContinuation", Lines("FROM scratch", "COPY a \\", "", "  /b", "COPY a \\", "  /c"), ["4: Empty continuation line"] },
        { "ConsistentInstructionCasing", Lines("From scratch as base", "FROM scratch AS other"), ["1: Command 'From' should match the case of the command majority (uppercase)"] },
        { "ConsistentInstructionCasing", Lines("FROM scratch", "copy a /a", "COPY b /b"), ["2: Command 'copy' should match the case of the command majority (uppercase)"] },
        { "ConsistentInstructionCasing", Lines("frOM scratch as base", "from scratch as other"), ["1: Command 'frOM' should match the case of the command majority (lowercase)"] },
        { "ConsistentInstructionCasing", Lines("from scratch", "COPY a /a", "copy b /b"), ["2: Command 'COPY' should match the case of the command majority (lowercase)"] },
        { "ConsistentInstructionCasing", Lines("from scratch", "COPY a /a", "COPY b /b", "COPY c /c"), ["1: Command 'from' should match the case of the command majority (uppercase)"] },
        { "ConsistentInstructionCasing", Lines("FROM scratch", "copy a /a", "copy b /b", "copy c /c"), ["1: Command 'FROM' should match the case of the command majority (lowercase)"] },
        { "ConsistentInstructionCasing", Lines("from scratch", "copy a /a"), [] },
        { "ConsistentInstructionCasing", Lines("FROM alpine:3.20", "RUN <<EOT", "env", "EOT"), [] },
        { "DuplicateStageName", Lines("FROM scratch AS dup", "FROM scratch AS dup"), ["2: Duplicate stage name \"dup\", stage names should be unique"] },
        { "DuplicateStageName", Lines("FROM scratch AS one", "FROM scratch AS two"), [] },
        { "ReservedStageName", Lines("FROM scratch AS scratch", "FROM scratch AS context"),
            ["1: Stage name should not use the same name as reserved stage \"scratch\"", "2: Stage name should not use the same name as reserved stage \"context\""] },
        { "ReservedStageName", Lines("FROM scratch", "FROM scratch AS other"), [] },
        { "JSONArgsRecommended", Lines("FROM scratch", "CMD server --port 80"), ["2: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals"] },
        { "JSONArgsRecommended", Lines("FROM scratch", "ENTRYPOINT server"), ["2: JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals"] },
        { "JSONArgsRecommended", Lines("FROM scratch", "SHELL [\"/bin/custom\"]", "CMD server"), [] },
        { "JSONArgsRecommended", Lines("FROM scratch AS base", "SHELL [\"/bin/custom\"]", "FROM base", "ENTRYPOINT server"), [] },
        { "JSONArgsRecommended", Lines("FROM scratch AS base", "SHELL [\"/bin/custom\"]", "FROM scratch", "ENTRYPOINT server"), ["4: JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals"] },
        { "MaintainerDeprecated", Lines("FROM scratch", "MAINTAINER ops@example.com"), ["2: Maintainer instruction is deprecated in favor of using label"] },
        { "MaintainerDeprecated", Lines("FROM scratch", "LABEL org.opencontainers.image.authors=\"ops@example.com\""), [] },
        { "UndefinedArgInFrom", Lines("ARG base=scratch", "FROM $base"), [] },
        { "UndefinedArgInFrom", Lines("FROM --platform=$BUILDPLATFORM scratch"), [] },
        { "UndefinedArgInFrom", Lines("ARG DEBUG", "FROM scratch${DEBUG}"), [] },
        { "UndefinedArgInFrom", Lines("ARG DEBUG", "FROM scra${DEBUG:-tch}"), [] },
        { "UndefinedArgInFrom", Lines("FROM --platform=$BUIDLPLATFORM scratch"), ["1: FROM argument 'BUIDLPLATFORM' is not declared (did you mean BUILDPLATFORM?)"] },
        { "UndefinedArgInFrom", Lines("ARG MY_OS=linux", "ARG MY_ARCH=amd64", "FROM --platform=linux/${MYARCH} busybox"), ["3: FROM argument 'MYARCH' is not declared (did you mean MY_ARCH?)"] },
        { "UndefinedArgInFrom", Lines("ARG tag=latest", "FROM busybox:${tag}${flavor} AS b"), ["2: FROM argument 'flavor' is not declared"] },
        { "WorkdirRelativePath", Lines("FROM scratch", "WORKDIR app/"), ["2: Relative workdir \"app/\" can have unexpected results if the base image changes"] },
        { "WorkdirRelativePath", Lines("FROM scratch AS a", "WORKDIR /app", "FROM a AS b", "WORKDIR sub/"), [] },
        { "WorkdirRelativePath", Lines("FROM scratch", "WORKDIR /app", "WORKDIR sub/"), [] },
        { "UndefinedVar", Lines("FROM scratch", "ARG name", "COPY Dockerfile${name} ."), [] },
        { "UndefinedVar", Lines("FROM alpine:3.20 AS base", "ARG file=Dockerfile", "FROM base", "COPY $file ."), [] },
        { "UndefinedVar", Lines("FROM alpine:3.20", "RUN echo $PATH $NOT_CHECKED"), [] },
        { "UndefinedVar", Lines("FROM alpine:3.20", "COPY $file .", "ARG file=x", "RUN echo $file"), ["2: Usage of undefined variable '$file'"] },
        { "UndefinedVar", Lines("FROM alpine:3.20", "ARG DIR_BIN=bin/", "ARG DIR_ASSETS=assets/", "COPY $DIR_ASSET ."), ["4: Usage of undefined variable '$DIR_ASSET' (did you mean $DIR_ASSETS?)"] },
        { "UndefinedVar", Lines("FROM alpine:3.20", "ENV PATH=$PAHT:/opt/bin"), ["2: Usage of undefined variable '$PAHT' (did you mean $PATH?)"] },
        { "UndefinedVar", Lines("FROM scratch AS first", "COPY $one .", "FROM scratch AS second", "COPY $two ."), ["2: Usage of undefined variable '$one'", "4: Usage of undefined variable '$two'"] },
        { "UndefinedVar", Lines("ARG GLOBAL=x", "FROM alpine:3.20", "ARG GLOBAL", "COPY $GLOBAL ."), [] },
        { "MultipleInstructionsDisallowed", Lines("FROM scratch", "ENTRYPOINT [\"/a\"]", "ENTRYPOINT [\"/b\"]", "CMD [\"/a\"]", "CMD [\"/b\"]", "HEALTHCHECK CMD [\"/a\"]", "HEALTHCHECK CMD [\"/b\"]"),
            ["2: Multiple ENTRYPOINT instructions should not be used in the same stage because only the last one will be used",
             "4: Multiple CMD instructions should not be used in the same stage because only the last one will be used",
             "6: Multiple HEALTHCHECK instructions should not be used in the same stage because only the last one will be used"] },
        { "MultipleInstructionsDisallowed", Lines("FROM scratch", "CMD [\"/a\"]", "COPY <<EOF /a.txt", "hello", "EOF", "CMD [\"/b\"]"),
            ["2: Multiple CMD instructions should not be used in the same stage because only the last one will be used"] },
        { "MultipleInstructionsDisallowed", Lines("FROM scratch AS a", "CMD [\"/a\"]", "FROM a AS b", "CMD [\"/b\"]"), [] },
        { "LegacyKeyValueFormat", Lines("FROM scratch", "ENV key value", "LABEL key value"),
            ["2: \"ENV key=value\" should be used instead of legacy \"ENV key value\" format", "3: \"LABEL key=value\" should be used instead of legacy \"LABEL key value\" format"] },
        { "LegacyKeyValueFormat", Lines("FROM scratch", "ENV key=value", "LABEL key=value"), [] },
        { "RedundantTargetPlatform", Lines("FROM --platform=$TARGETPLATFORM scratch"), ["1: Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior"] },
        { "RedundantTargetPlatform", Lines("FROM --platform=${TARGETPLATFORM} scratch"), ["1: Setting platform to predefined ${TARGETPLATFORM} in FROM is redundant as this is the default behavior"] },
        { "SecretsUsedInArgOrEnv", Lines("FROM scratch", "ARG SECRET_PASSPHRASE", "ENV Api_Token=x", "ENV password=a sunflower=b", "ENV PUBLIC_KEY=", "ARG public_token", "ENV KEY_FILE=/k", "ARG TOKEN_VERSION=2", "ENV apiKey=x"),
            ["2: Do not use ARG or ENV instructions for sensitive data (ARG \"SECRET_PASSPHRASE\")", "3: Do not use ARG or ENV instructions for sensitive data (ENV \"Api_Token\")",
             "4: Do not use ARG or ENV instructions for sensitive data (ENV \"password\")", "9: Do not use ARG or ENV instructions for sensitive data (ENV \"apiKey\")"] },
        { "InvalidDefaultArgInFrom", Lines("ARG VERSION", "FROM busybox:$VERSION"), ["2: Default value for ARG busybox:$VERSION results in empty or invalid base image name"] },
        { "InvalidDefaultArgInFrom", Lines("ARG IMAGE", "FROM $IMAGE"), ["2: Default value for ARG $IMAGE results in empty or invalid base image name"] },
        { "InvalidDefaultArgInFrom", Lines("ARG SFX=\"box:\"", "FROM busy${SFX}"), ["2: Default value for ARG busy${SFX} results in empty or invalid base image name"] },
        { "InvalidDefaultArgInFrom", Lines("ARG VERSION=\"1.36\"", "FROM busybox:${VERSION}"), [] },
        { "InvalidDefaultArgInFrom", Lines("ARG VARIANT=\"\"", "FROM busybox:stable${VARIANT}"), [] },
        { "InvalidDefaultArgInFrom", Lines("ARG VARIANT", "FROM busybox:stable${VARIANT}"), [] },
        { "FromPlatformFlagConstDisallowed", Lines("FROM --platform=linux/amd64 scratch"), ["1: FROM --platform flag should not use constant value \"linux/amd64\""] },
        { "FromPlatformFlagConstDisallowed", Lines("FROM --platform=linux/amd64 scratch AS build_amd64"), [] },
        { "FromPlatformFlagConstDisallowed", Lines("FROM --platform=linux/amd64 scratch AS linux"), [] },
        { "FromPlatformFlagConstDisallowed", Lines("FROM --platform=$BUILDPLATFORM scratch"), [] },
        { "ExposeProtoCasing", Lines("FROM scratch", "EXPOSE 80/TcP 443/tcp"), ["2: Defined protocol '80/TcP' in EXPOSE instruction should be lowercase"] },
        { "ExposeInvalidFormat", Lines("FROM scratch", "EXPOSE 127.0.0.1:80:80 8080:80 9090"),
            ["2: EXPOSE instruction should not define an IP address or host-port mapping, found '127.0.0.1:80:80'",
             "2: EXPOSE instruction should not define an IP address or host-port mapping, found '8080:80'"] },
        { "InvalidDefinitionDescription", Lines("# check=experimental=InvalidDefinitionDescription", "# foo sets the foo", "ARG foo=bar", "",
            "# base is the base stage", "FROM scratch AS base", "", "# many of them", "ARG a=1 many=2", "#", "ARG bit=bat", "", "# about the copy", "COPY Dockerfile ."), [] },
        { "InvalidDefinitionDescription", Lines("# check=experimental=InvalidDefinitionDescription", "# bar sets the bar", "ARG foo=bar", "# Base image", "FROM scratch AS base",
            "# not about the version", "ARG version=latest", "# neither", "ARG a=1 b=2"),
            ["3: Comment for ARG should follow the format: `# foo <description>`", "5: Comment for FROM should follow the format: `# base <description>`",
             "7: Comment for ARG should follow the format: `# version <description>`", "9: Comment for ARG should follow the format: `# <arg_key> <description>`"] },
        { "InvalidDefinitionDescription", Lines("# bar sets the bar", "ARG foo=bar"), [] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_check_reports_these_findings(string check, string dockerfile, string[] expected)
    {
        var findings = DockerfileLinter.Lint(dockerfile, "Dockerfile", LintConfig.Default).Where(f => f.RuleId == check)
            .Select(f => $"{f.Line}: {f.Message}");

        Assert.Equal(expected, findings);
    }

    [Fact]
    public void Every_check_is_a_warning_with_BuildKits_description()
    {
        Assert.All(DockerfileLinter.Rules.Where(r => !r.Id.StartsWith("DL", StringComparison.Ordinal)), r => Assert.Equal(Severity.Warning, r.DefaultSeverity));
        Assert.Equal("All commands within the Dockerfile should use the same casing (either upper or lower)", DockerfileLinter.Rule("ConsistentInstructionCasing")!.Title);
        Assert.Equal("https://docs.docker.com/go/dockerfile/rule/json-args-recommended/", DockerfileLinter.Rule("JSONArgsRecommended")!.DocsUri);
        Assert.Equal("https://docs.docker.com/go/dockerfile/rule/undefined-arg-in-from/", DockerfileLinter.Rule("UndefinedArgInFrom")!.DocsUri);
    }

    public static TheoryData<string, string[]> DirectiveCases => new()
    {
        { "#check=skip=all", [] },
        { "#check=skip=all;error=true", [] },
        { "#check=skip=ConsistentInstructionCasing,FromAsCasing", [] },
        { "#check=skip=ConsistentInstructionCasing", ["FromAsCasing:Warning"] },
        { "#check=skip=ConsistentInstructionCasing;error=true", ["FromAsCasing:Error"] },
        { "#check=error=true", ["ConsistentInstructionCasing:Error", "FromAsCasing:Error"] },
        { "# check = skip = FromAsCasing", ["ConsistentInstructionCasing:Warning"] },
    };

    [Theory]
    [MemberData(nameof(DirectiveCases))]
    public void The_check_directive_skips_checks_and_makes_them_errors(string directive, string[] expected)
    {
        var findings = DockerfileLinter.Lint(Lines(directive, "FROM scratch as base", "copy Dockerfile ."), "Dockerfile", LintConfig.Default)
            .Where(f => !f.RuleId.StartsWith("DL", StringComparison.Ordinal)).Select(f => $"{f.RuleId}:{f.Severity}");

        Assert.Equal(expected, findings.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Ignored_files_are_checked_only_when_the_experimental_check_is_asked_for()
    {
        var inputs = new LintInputs(["Dockerfile"], null, "linux/amd64");
        var copy = Lines("FROM scratch", "COPY Dockerfile .", "ADD ./Dockerfile /windy");

        Assert.Empty(MessagesOf("CopyIgnoredFile", copy, inputs: inputs));
        Assert.Equal(["Attempting to Copy file \"Dockerfile\" that is excluded by .dockerignore", "Attempting to Add file \"Dockerfile\" that is excluded by .dockerignore"],
            MessagesOf("CopyIgnoredFile", "# check=experimental=CopyIgnoredFile\n" + copy, inputs: inputs));
        Assert.Equal(2, MessagesOf("CopyIgnoredFile", "# check=skip=all;experimental=CopyIgnoredFile\n" + copy, inputs: inputs).Length);
        Assert.Empty(MessagesOf("CopyIgnoredFile", "# check=experimental=CopyIgnoredFile\n" + Lines("FROM scratch AS base", "COPY Dockerfile /foobar", "FROM base", "COPY --from=base /foobar /Dockerfile"),
            inputs: new LintInputs(["foobar"], null, "linux/amd64")));
        Assert.Empty(MessagesOf("CopyIgnoredFile", "# check=experimental=CopyIgnoredFile\n" + copy, inputs: new LintInputs(["Dockerfile", "!Dockerfile"], null, "linux/amd64")));
    }

    [Fact]
    public void A_base_image_of_another_platform_is_reported_when_the_caller_knows_it()
    {
        var inputs = new LintInputs(null, image => image == "arm64v8/alpine:3.20" ? "linux/arm64" : "linux/amd64", "linux/amd64");

        Assert.Equal(["Base image arm64v8/alpine:3.20 was pulled with platform \"linux/arm64\", expected \"linux/amd64\" for current build"],
            MessagesOf("InvalidBaseImagePlatform", Lines("FROM arm64v8/alpine:3.20", "FROM alpine:3.20"), inputs: inputs));
    }
}
