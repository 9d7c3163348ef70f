using static Builder.Lint.Tests.Behaviour;

namespace Builder.Lint.Tests;

/// <summary>
/// hadolint's instruction rules (FROM, USER, WORKDIR, COPY/ADD, CMD/ENTRYPOINT, EXPOSE, ENV, stage order) and its
/// shell rules, case by case: what must be reported, on which line, and what must not.
/// </summary>
public sealed class InstructionBehaviourTests
{
    public static TheoryData<string, string, int[]> Cases => new()
    {
        // DL3000 absolute WORKDIR
        { "DL3000", Lines("WORKDIR app/src"), [1] },
        { "DL3000", Lines("WORKDIR /srv/app"), [] },
        { "DL3000", Lines("WORKDIR ${APP_HOME}"), [] },
        { "DL3000", Lines("WORKDIR $APP_HOME/src"), [] },
        { "DL3000", Lines("WORKDIR 'app/src'"), [1] },
        { "DL3000", Lines("WORKDIR '/srv/app'"), [] },
        { "DL3000", Lines("WORKDIR \"app/src\""), [1] },
        { "DL3000", Lines("WORKDIR \"/srv/app\""), [] },
        { "DL3000", Lines("WORKDIR \"${APP_HOME}\""), [] },
        { "DL3000", Lines("WORKDIR C:\\\\app"), [] },
        { "DL3000", Lines("WORKDIR 'D:\\\\'"), [] },
        { "DL3000", Lines("WORKDIR c:/app"), [] },
        { "DL3000", Lines("WORKDIR \"C:/\""), [] },
        { "DL3000", Lines("FROM debian:12", "WORKDIR /srv", "WORKDIR app"), [3] },
        // DL3002 last USER root, per stage
        { "DL3002", Lines("FROM debian:12", "USER root"), [2] },
        { "DL3002", Lines("FROM debian:12", "USER app"), [] },
        { "DL3002", Lines("FROM debian:12", "USER 0"), [2] },
        { "DL3002", Lines("FROM debian:12", "USER root:root"), [2] },
        { "DL3002", Lines("FROM debian:12", "USER 0:0"), [2] },
        { "DL3002", Lines("FROM debian:12", "USER root", "RUN make install", "USER app"), [] },
        { "DL3002", Lines("FROM debian:12 AS base", "USER root", "RUN make", "FROM base", "RUN make test"), [2] },
        { "DL3002", Lines("FROM debian:12 AS build", "USER root", "RUN make", "FROM debian:12", "USER app"), [2] },
        { "DL3002", Lines("FROM debian:12 AS build", "USER root", "USER app", "FROM debian:12", "RUN true"), [] },
        { "DL3002", Lines("FROM debian:12", "USER rootless"), [] },
        // DL3006 tags
        { "DL3006", Lines("FROM alpine"), [1] },
        { "DL3006", Lines("FROM alpine AS base"), [1] },
        { "DL3006", Lines("FROM alpine:3.20"), [] },
        { "DL3006", Lines("FROM alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), [] },
        { "DL3006", Lines("FROM ${BASE_IMAGE}"), [] },
        { "DL3006", Lines("ARG NAME=app", "FROM registry.example.com/${NAME}"), [2] },
        { "DL3006", Lines("ARG TAG=3.20", "FROM alpine:${TAG}"), [] },
        { "DL3006", Lines("ARG FLAVOUR=slim", "FROM alpine:3.20 AS deps-slim", "FROM deps-${FLAVOUR}"), [] },
        { "DL3006", Lines("FROM scratch"), [] },
        { "DL3006", Lines("FROM registry.example.com:5000/team/app"), [1] },
        { "DL3006", Lines("FROM registry.example.com:5000/team/app:1.2"), [] },
        { "DL3006", Lines("FROM golang:1.22 AS build", "RUN make", "FROM build AS test", "RUN make test", "FROM alpine:3.20"), [] },
        { "DL3006", Lines("FROM golang:1.22 AS build", "FROM node AS web", "FROM alpine:3.20"), [2] },
        { "DL3006", Lines("FROM build", "FROM golang:1.22 AS build"), [1] },
        // DL3007 latest
        { "DL3007", Lines("FROM alpine:latest"), [1] },
        { "DL3007", Lines("FROM alpine:latest AS base"), [1] },
        { "DL3007", Lines("FROM alpine:3.20"), [] },
        { "DL3007", Lines("FROM alpine:3.20 AS base"), [] },
        { "DL3007", Lines("FROM docker.io/library/alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), [] },
        { "DL3007", Lines("FROM localhost:5000/app:latest"), [1] },
        // DL3011 ports
        { "DL3011", Lines("EXPOSE 70000"), [1] },
        { "DL3011", Lines("EXPOSE 65535"), [] },
        { "DL3011", Lines("EXPOSE 8080/tcp 9090/udp"), [] },
        { "DL3011", Lines("EXPOSE 8000-70000"), [1] },
        { "DL3011", Lines("EXPOSE 80 65536/udp"), [1] },
        // DL3012 HEALTHCHECK
        { "DL3012", Lines("FROM alpine:3.20"), [] },
        { "DL3012", Lines("FROM alpine:3.20", "HEALTHCHECK CMD /bin/check"), [] },
        { "DL3012", Lines("FROM alpine:3.20", "HEALTHCHECK CMD /bin/check", "FROM alpine:3.20", "HEALTHCHECK CMD /bin/check"), [] },
        { "DL3012", Lines("FROM alpine:3.20", "HEALTHCHECK CMD /bin/check", "HEALTHCHECK NONE"), [3] },
        // DL3020 ADD
        { "DL3020", Lines("ADD site.tar /srv/"), [] },
        { "DL3020", Lines("ADD site.gz /srv/"), [] },
        { "DL3020", Lines("ADD site.bz2 /srv/"), [] },
        { "DL3020", Lines("ADD site.xz /srv/"), [] },
        { "DL3020", Lines("ADD site.tgz /srv/"), [] },
        { "DL3020", Lines("ADD site.tar.gz /srv/"), [] },
        { "DL3020", Lines("ADD https://example.com/site.html /srv/"), [] },
        { "DL3020", Lines("ADD http://example.com/site /srv/"), [] },
        { "DL3020", Lines("ADD index.html /srv/"), [1] },
        { "DL3020", Lines("ADD site.zip /srv/"), [1] },
        { "DL3020", Lines("ADD \"site.tgz\" /srv/"), [] },
        { "DL3020", Lines("ADD \"https://example.com/site\" /srv/"), [] },
        { "DL3020", Lines("ADD \"site.zip\" /srv/"), [1] },
        { "DL3020", Lines("ADD site.tgz extra.html /srv/"), [1] },
        { "DL3020", Lines("ADD [\"site.tgz\", \"/srv/\"]"), [] },
        // DL3021 COPY many sources
        { "DL3021", Lines("COPY a.txt /dest"), [] },
        { "DL3021", Lines("COPY a.txt b.txt /dest"), [1] },
        { "DL3021", Lines("COPY a.txt b.txt /dest/"), [] },
        { "DL3021", Lines("COPY a.txt b.txt \"/dest\""), [1] },
        { "DL3021", Lines("COPY a.txt b.txt \"/dest/\""), [] },
        { "DL3021", Lines("COPY [\"a.txt\", \"b.txt\", \"/dest/\"]"), [] },
        { "DL3021", Lines("COPY [\"a.txt\", \"b.txt\", \"/dest\"]"), [1] },
        // DL3022 COPY --from alias
        { "DL3022", Lines("COPY --from=builder /out ."), [1] },
        { "DL3022", Lines("FROM alpine:3.20", "COPY --from=builder /out .", "FROM golang:1.22 AS builder"), [2] },
        { "DL3022", Lines("FROM golang:1.22 AS builder", "RUN make", "FROM alpine:3.20", "COPY --from=builder /out ."), [] },
        { "DL3022", Lines("FROM alpine:3.20", "COPY --from=nginx:1.25 /etc/nginx /etc/nginx"), [] },
        { "DL3022", Lines("COPY --from=0 /out ."), [1] },
        { "DL3022", Lines("FROM golang:1.22 AS builder", "FROM alpine:3.20", "COPY --from=0 /out ."), [] },
        { "DL3022", Lines("FROM golang:1.22", "FROM alpine:3.20", "COPY --from=0 /out ."), [] },
        { "DL3022", Lines("FROM golang:1.22", "FROM alpine:3.20", "COPY --from=2 /out ."), [3] },
        // DL3023 COPY --from own stage
        { "DL3023", Lines("FROM golang:1.22 AS builder", "COPY --from=builder /out ."), [2] },
        { "DL3023", Lines("FROM golang:1.22 AS builder", "RUN make", "FROM alpine:3.20 AS run", "COPY --from=builder /out ."), [] },
        // DL3024 duplicate aliases
        { "DL3024", Lines("FROM golang:1.22 AS builder", "RUN make", "FROM alpine:3.20 AS builder", "RUN true"), [3] },
        { "DL3024", Lines("FROM golang:1.22 AS builder", "FROM alpine:3.20 AS run"), [] },
        // DL3025 JSON notation
        { "DL3025", Lines("FROM alpine:3.20", "ENTRYPOINT /bin/server"), [2] },
        { "DL3025", Lines("FROM alpine:3.20", "ENTRYPOINT [\"/bin/server\", \"--port\", \"80\"]"), [] },
        { "DL3025", Lines("FROM alpine:3.20", "CMD /bin/server --port 80"), [2] },
        { "DL3025", Lines("FROM alpine:3.20", "CMD [\"/bin/server\"]", "CMD [ \"/bin/server\", \"-v\" ]"), [] },
        { "DL3025", Lines("FROM alpine:3.20", "HEALTHCHECK CMD wget -qO- http://localhost/ || exit 1"), [2] },
        { "DL3025", Lines("FROM alpine:3.20", "HEALTHCHECK --interval=30s \\", "  CMD wget -qO- http://localhost/"), [2] },
        { "DL3025", Lines("FROM alpine:3.20", "HEALTHCHECK CMD [\"/bin/check\"]"), [] },
        { "DL3025", Lines("FROM alpine:3.20", "HEALTHCHECK NONE"), [] },
        // DL3029 --platform
        { "DL3029", Lines("FROM --platform=linux/arm64 alpine:3.20"), [1] },
        { "DL3029", Lines("FROM alpine:3.20"), [] },
        { "DL3029", Lines("FROM --platform=$BUILDPLATFORM golang:1.22"), [] },
        { "DL3029", Lines("FROM --platform=\"$BUILDPLATFORM\" golang:1.22"), [] },
        { "DL3029", Lines("FROM --platform=${BUILDPLATFORM} golang:1.22"), [] },
        { "DL3029", Lines("FROM --platform=${BUILDPLATFORM:-linux/amd64} golang:1.22"), [] },
        { "DL3029", Lines("FROM --platform=$TARGETPLATFORM golang:1.22"), [] },
        // DL3043 ONBUILD triggers
        { "DL3043", Lines("ONBUILD ONBUILD RUN make"), [1] },
        { "DL3043", Lines("ONBUILD FROM alpine:3.20"), [1] },
        { "DL3043", Lines("ONBUILD MAINTAINER \"Jane Doe\""), [1] },
        { "DL3043", Lines("ONBUILD RUN make"), [] },
        { "DL3043", Lines("ONBUILD COPY . /src"), [] },
        { "DL3043", Lines("ONBUILD ADD . /src"), [] },
        { "DL3043", Lines("ONBUILD USER app"), [] },
        { "DL3043", Lines("ONBUILD LABEL team=\"core\""), [] },
        { "DL3043", Lines("ONBUILD HEALTHCHECK NONE"), [] },
        { "DL3043", Lines("ONBUILD ENV MODE=\"prod\""), [] },
        { "DL3043", Lines("ONBUILD EXPOSE 8080"), [] },
        { "DL3043", Lines("FROM alpine:3.20"), [] },
        { "DL3043", Lines("MAINTAINER \"Jane Doe\""), [] },
        // DL3044 ENV self reference
        { "DL3044", Lines("ENV ROOT=\"/srv\"", "ENV DATA=\"${ROOT}/data\""), [] },
        { "DL3044", Lines("ENV ROOT=\"/srv\" DATA=\"${ROOT}/data\""), [1] },
        { "DL3044", Lines("ENV ROOT=\"/srv\" DATA=\"$ROOT/data\""), [1] },
        { "DL3044", Lines("ENV ROOT=\"/srv\" DATA=\"$ROOT\""), [1] },
        { "DL3044", Lines("ENV ROOT=\"/srv\" DATA=\"${ROOT}\""), [1] },
        { "DL3044", Lines("ENV ROOT=\"/srv\" DATA=\"${ROOTS}/data\""), [] },
        { "DL3044", Lines("ENV ROOT=\"/srv\" DATA=\"${MYROOT}/data\""), [] },
        { "DL3044", Lines("ENV ROOT=\"/srv\" DATA=\"$ROOTS/data\""), [] },
        { "DL3044", Lines("ENV ROOT=\"/srv\" DATA=\"$ROOT/$ROOTS/x\""), [1] },
        { "DL3044", Lines("ENV ROOT=\"/srv\" DATA=\"ROOT/$ROOTS/ROOT\""), [] },
        { "DL3044", Lines("ARG ROOT", "ENV ROOT=${ROOT}"), [] },
        { "DL3044", Lines("ENV ROOT /srv", "ENV ROOT=${ROOT}/x"), [] },
        { "DL3044", Lines("ENV PATH=/opt/bin:${PATH}"), [] },
        { "DL3044", Lines("ENV PATH=/opt/bin:${PATH}", "ENV PATH=/usr/local/go/bin:${PATH}"), [] },
        { "DL3044", Lines("ENV PATH=/opt/bin:${PATH} PATH=/usr/local/go/bin:${PATH}"), [1] },
        // DL3045 COPY relative destination
        { "DL3045", Lines("COPY run.sh /usr/local/bin/run.sh"), [] },
        { "DL3045", Lines("COPY run.sh \"/usr/local/bin/run.sh\""), [] },
        { "DL3045", Lines("COPY run.sh c:\\\\tools\\\\run.sh"), [] },
        { "DL3045", Lines("COPY run.sh \"d:\\\\tools\\\\run.sh\""), [] },
        { "DL3045", Lines("COPY run.sh c:/tools/run.sh"), [] },
        { "DL3045", Lines("FROM alpine:3.20", "WORKDIR /srv", "COPY run.sh run.sh"), [] },
        { "DL3045", Lines("FROM alpine:3.20", "WORKDIR c:\\\\srv", "COPY run.sh run.sh"), [] },
        { "DL3045", Lines("COPY run.sh ${BIN_DIR}"), [] },
        { "DL3045", Lines("COPY run.sh $BIN_DIR"), [] },
        { "DL3045", Lines("COPY run.sh \"${BIN_DIR}\""), [] },
        { "DL3045", Lines("COPY run.sh bin/run.sh"), [1] },
        { "DL3045", Lines("COPY run.sh \"bin/run.sh\""), [1] },
        { "DL3045", Lines("COPY a b"), [1] },
        { "DL3045", Lines("FROM alpine:3.20 AS one", "WORKDIR /srv", "FROM alpine:3.20", "COPY run.sh run.sh"), [4] },
        { "DL3045", Lines("FROM alpine:3.20 AS base", "WORKDIR /srv", "FROM alpine:3.20 AS other", "RUN true", "FROM base", "COPY run.sh run.sh"), [] },
        { "DL3045", Lines("FROM alpine:3.20 AS a", "WORKDIR /srv", "FROM a AS b", "RUN true", "FROM b", "COPY run.sh run.sh"), [] },
        { "DL3045", Lines("FROM alpine:3.20", "ONBUILD WORKDIR /srv", "ONBUILD COPY run.sh run.sh"), [] },
        // DL3059 consecutive RUNs
        { "DL3059", Lines("FROM alpine:3.20"), [] },
        { "DL3059", Lines("RUN /setup.sh"), [] },
        { "DL3059", Lines("RUN /setup.sh", "WORKDIR /", "RUN /build.sh"), [] },
        { "DL3059", Lines("RUN /setup.sh", "RUN /build.sh"), [2] },
        { "DL3059", Lines("RUN /setup.sh", "# a note", "RUN /build.sh"), [3] },
        { "DL3059", Lines("RUN /setup.sh", "# a note", "# another", "RUN /build.sh"), [4] },
        { "DL3059", Lines("# a note", "RUN /setup.sh"), [] },
        { "DL3059", Lines("RUN --mount=type=secret,id=npmrc /setup.sh", "RUN /build.sh"), [] },
        { "DL3059", Lines("RUN --mount=type=secret,id=a /setup.sh", "RUN --mount=type=secret,id=b /build.sh"), [] },
        { "DL3059", Lines("RUN --mount=type=secret,id=a /setup.sh", "RUN --mount=type=secret,id=a /build.sh"), [2] },
        { "DL3059", Lines("RUN make && make test", "RUN make install"), [] },
        { "DL3059", Lines("RUN make; make test", "RUN make install"), [] },
        { "DL3059", Lines("RUN make install", "RUN make && make test"), [] },
        { "DL3059", Lines("RUN make install", "RUN make; make test"), [] },
        { "DL3059", Lines("RUN make && make test", "RUN make; make test"), [] },
        { "DL3059", Lines("RUN make && make test", "RUN make install", "RUN make clean"), [3] },
        // DL3061 order
        { "DL3061", Lines("LABEL team=core", "FROM alpine:3.20"), [1] },
        { "DL3061", Lines("FROM alpine:3.20", "LABEL team=core"), [] },
        { "DL3061", Lines("ARG VERSION=3.20", "FROM alpine:${VERSION}", "LABEL team=core"), [] },
        { "DL3061", Lines("# syntax=docker/dockerfile:1", "FROM alpine:3.20"), [] },
        { "DL3061", Lines("FROM alpine:3.20", "ARG MODE=prod", "RUN echo $MODE"), [] },
        { "DL3061", Lines("LABEL a=b", "ENV C=d", "FROM alpine:3.20"), [1, 2] },
        // DL3063 reserved stage names
        { "DL3063", Lines("FROM alpine:3.20 AS scratch"), [1] },
        { "DL3063", Lines("FROM alpine:3.20 AS context"), [1] },
        { "DL3063", Lines("FROM alpine:3.20 AS base"), [] },
        { "DL3063", Lines("FROM scratch"), [] },
        // DL3064 sensitive ARG/ENV
        { "DL3064", Lines("FROM alpine:3.20", "RUN true"), [] },
        { "DL3064", Lines("ARG VERSION", "FROM alpine:3.20"), [] },
        { "DL3064", Lines("FROM alpine:3.20", "ENV MODE=prod"), [] },
        { "DL3064", Lines("ARG GITHUB_TOKEN", "FROM alpine:3.20"), [1] },
        { "DL3064", Lines("ARG stripe_api_key", "FROM alpine:3.20"), [1] },
        { "DL3064", Lines("FROM alpine:3.20", "ENV AWS_SECRET_ACCESS_KEY=abc"), [2] },
        { "DL3064", Lines("FROM alpine:3.20", "ENV db_password=abc"), [2] },
        // DL3065 redundant TARGETPLATFORM
        { "DL3065", Lines("FROM --platform=$TARGETPLATFORM alpine:3.20"), [1] },
        { "DL3065", Lines("FROM --platform=${TARGETPLATFORM} alpine:3.20"), [1] },
        { "DL3065", Lines("FROM --platform=$BUILDPLATFORM alpine:3.20"), [] },
        { "DL3065", Lines("FROM --platform=linux/arm64 alpine:3.20"), [] },
        // DL3066 numeric USER
        { "DL3066", Lines("FROM alpine:3.20", "USER 1000"), [] },
        { "DL3066", Lines("FROM alpine:3.20", "USER 1000:1000"), [] },
        { "DL3066", Lines("FROM alpine:3.20", "USER app"), [2] },
        { "DL3066", Lines("FROM alpine:3.20", "USER app:app"), [2] },
        { "DL3066", Lines("ARG UID", "FROM alpine:3.20", "USER ${UID}"), [] },
        { "DL3066", Lines("FROM alpine:3.20 AS build", "USER builder", "FROM alpine:3.20", "USER 1000"), [] },
        { "DL3066", Lines("FROM alpine:3.20 AS build", "USER 1000", "FROM alpine:3.20", "USER app"), [4] },
        { "DL3066", Lines("FROM alpine:3.20", "USER app", "USER 1000"), [] },
        { "DL3066", Lines("FROM alpine:3.20", "USER 1000", "USER app"), [3] },
        // DL4000 MAINTAINER
        { "DL4000", Lines("FROM alpine:3.20", "MAINTAINER Jane Doe <jane@example.com>"), [2] },
        { "DL4000", Lines("FROM alpine:3.20", "LABEL org.opencontainers.image.authors=\"jane@example.com\""), [] },
        // DL4003 / DL4004 multiple CMD / ENTRYPOINT
        { "DL4003", Lines("FROM alpine:3.20", "CMD sh", "RUN true", "CMD ash"), [4] },
        { "DL4003", Lines("FROM alpine:3.20 AS a", "CMD sh", "RUN true", "FROM alpine:3.20 AS b", "CMD ash"), [] },
        { "DL4003", Lines("FROM alpine:3.20 AS a", "CMD sh", "CMD ash", "FROM alpine:3.20 AS b", "CMD ash"), [3] },
        { "DL3067", Lines("FROM a AS build", "FROM b", "COPY --from=build / /"), [3] },
        { "DL3067", Lines("FROM a AS build", "FROM b", "ONBUILD COPY --from=build / /"), [3] },
        { "DL3067", Lines("FROM a AS build", "FROM b", "COPY --from=build \"/\" '/'"), [3] },
        { "DL3067", Lines("FROM a AS build", "FROM b", "COPY --from=build /app /lib /"), [] },
        { "DL3067", Lines("FROM a AS build", "FROM b", "COPY --from=build / /rootfs/"), [] },
        { "DL3067", Lines("FROM b", "COPY / /"), [] },
        { "DL4003", Lines("CMD /bin/true"), [] },
        { "DL4004", Lines("FROM alpine:3.20"), [] },
        { "DL4004", Lines("FROM alpine:3.20", "ENTRYPOINT sh", "RUN true", "ENTRYPOINT ash"), [4] },
        { "DL4004", Lines("FROM alpine:3.20 AS a", "ENTRYPOINT sh", "FROM alpine:3.20 AS b", "ENTRYPOINT ash"), [] },
        { "DL4004", Lines("FROM alpine:3.20 AS a", "ENTRYPOINT sh", "ENTRYPOINT ash", "FROM alpine:3.20 AS b", "ENTRYPOINT ash"), [3] },
        { "DL4004", Lines("ENTRYPOINT /bin/true"), [] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_rule_reports_exactly_these_lines(string id, string dockerfile, int[] lines) =>
        Assert.Equal(lines, LinesOf(id, dockerfile));

    public static TheoryData<string[], string, int[]> TrustedRegistryCases => new()
    {
        { ["docker.io"], Lines("FROM mirror.example.com/debian"), [1] },
        { ["mirror.example.com", "docker.io"], Lines("FROM mirror.example.com/debian"), [] },
        { ["docker.io"], Lines("FROM scratch"), [] },
        { ["docker.io"], Lines("FROM debian:12 AS a", "FROM team/debian:12 AS b", "FROM docker.io/team/debian:12 AS c"), [] },
        { ["hub.docker.com"], Lines("FROM debian:12"), [] },
        { ["mirror.example.com"], Lines("FROM mirror.example.com/debian:12 AS base", "FROM base AS next"), [] },
        { ["*.example.com"], Lines("FROM other.org/debian"), [1] },
        { ["ghcr.io", "*.example.com"], Lines("FROM mirror.example.com/debian"), [] },
        { ["*"], Lines("FROM debian:12", "FROM quay.io/team/app:1"), [] },
        // Every image the Dockerfile pulls, not only FROM's: COPY --from and RUN --mount from= (a stage is no image).
        { ["docker.io"], Lines("FROM debian:12", "COPY --from=evil.example/tools:1 /x /x"), [2] },
        { ["docker.io"], Lines("FROM debian:12", "ONBUILD COPY --from=evil.example/tools:1 /x /x"), [2] },
        { ["docker.io"], Lines("FROM debian:12 AS build", "FROM debian:12", "COPY --from=build /x /x", "COPY --from=0 /y /y", "COPY --from=team/tools:1 /z /z"), [] },
        { ["docker.io"], Lines("FROM debian:12", "RUN --mount=type=bind,from=evil.example/src:1,target=/src make"), [2] },
        { ["docker.io"], Lines("FROM debian:12", "ONBUILD RUN --mount=type=cache,target=/c,from=evil.example/cache make"), [2] },
        { ["docker.io"], Lines("FROM debian:12 AS deps", "FROM debian:12", "RUN --mount=type=bind,from=deps,target=/d make"), [] },
        { ["evil.example"], Lines("FROM evil.example/debian:12", "COPY --from=evil.example/tools:1 /x /x", "RUN --mount=from=evil.example/src,target=/s true"), [] },
    };

    [Theory]
    [MemberData(nameof(TrustedRegistryCases))]
    public void Only_trusted_registries_are_allowed(string[] trusted, string dockerfile, int[] lines)
    {
        Assert.Equal(lines, LinesOf("DL3026", dockerfile, new LintConfig { TrustedRegistries = trusted }));
        Assert.Empty(LinesOf("DL3026", dockerfile));
    }

    [Fact]
    public void Instruction_rule_messages_and_severities_are_hadolints()
    {
        Assert.Equal(["Last USER should not be root"], MessagesOf("DL3002", Lines("FROM debian:12", "USER root")));
        Assert.Equal(["`COPY --from` should reference a previously defined `FROM` alias"], MessagesOf("DL3022", Lines("COPY --from=x a b")));
        Assert.Equal(["Use arguments JSON notation for CMD and ENTRYPOINT arguments"], MessagesOf("DL3025", Lines("FROM a:1", "CMD x")));
        Assert.Equal(["Non-numeric user-id may not be resolvable by host system"], DockerfileLinter.Lint(Lines("FROM a:1", "USER app"), "Dockerfile", LintConfig.Default)
            .Where(f => f.RuleId == "DL3066").Select(f => f.Message));
        Assert.Equal(Severity.Error, DockerfileLinter.Rule("DL3000")!.DefaultSeverity);
        Assert.Equal(Severity.Error, DockerfileLinter.Rule("DL3020")!.DefaultSeverity);
        Assert.Equal(Severity.Error, DockerfileLinter.Rule("DL3021")!.DefaultSeverity);
        Assert.Equal(Severity.Warning, DockerfileLinter.Rule("DL3022")!.DefaultSeverity);
        Assert.Equal(Severity.Error, DockerfileLinter.Rule("DL3023")!.DefaultSeverity);
        Assert.Equal(Severity.Warning, DockerfileLinter.Rule("DL3045")!.DefaultSeverity);
        Assert.Equal(Severity.Info, DockerfileLinter.Rule("DL3059")!.DefaultSeverity);
        Assert.Equal(Severity.Error, DockerfileLinter.Rule("DL3061")!.DefaultSeverity);
        Assert.Equal(Severity.Info, DockerfileLinter.Rule("DL3066")!.DefaultSeverity);
        Assert.Equal(Severity.Warning, DockerfileLinter.Rule("DL3067")!.DefaultSeverity);
        Assert.Equal("Do not copy an entire filesystem from another stage", DockerfileLinter.Rule("DL3067")!.Title);
        Assert.Equal(Severity.Error, DockerfileLinter.Rule("DL4004")!.DefaultSeverity);
        Assert.Equal(Severity.Warning, DockerfileLinter.Rule("DL4003")!.DefaultSeverity);
    }

    [Fact]
    public void Hadolint_rules_are_the_ones_it_defines_today()
    {
        var ids = DockerfileLinter.Rules.Select(r => r.Id).Where(id => id.StartsWith("DL", StringComparison.Ordinal)).ToHashSet();

        // Deleted upstream: DL3005, DL3017, DL3031, DL3039, DL4002; DL3001–DL3067 otherwise, DL4000–DL4006, DL1001.
        string[] removed = ["DL3005", "DL3017", "DL3031", "DL3039", "DL4002"];
        var expected = Enumerable.Range(3000, 68).Select(n => $"DL{n}").Concat(["DL4000", "DL4001", "DL4003", "DL4004", "DL4005", "DL4006", "DL1001"])
            .Except(removed);
        Assert.Equal(expected.Order(), ids.Order());
    }
}
