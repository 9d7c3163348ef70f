using System.Text;
using BenchmarkDotNet.Attributes;
using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Syntax;

namespace Builder.Benchmarks;

/// <summary>Parsing (and binding) a 5,000-line Dockerfile of every instruction form. Goal: parse under 50 ms.</summary>
[MemoryDiagnoser]
public class ParseBenchmarks
{
    private string _text = string.Empty;

    [GlobalSetup]
    public void Setup() => _text = LargeDockerfile(5_000);

    [Benchmark]
    public DockerfileSyntax Parse() => DockerfileParser.Parse(_text);

    [Benchmark]
    public BoundDockerfile ParseAndBind() => Binder.Bind(DockerfileParser.Parse(_text));

    /// <summary>A realistic mix: multi-stage, continuations, exec and shell forms, heredocs, flags, ENV/LABEL pairs.</summary>
    public static string LargeDockerfile(int lines)
    {
        string[] block =
        [
            "# syntax=docker/dockerfile:1",
            "FROM --platform=$BUILDPLATFORM golang:1.22-bookworm AS build{0}",
            "ARG VERSION=1.0.{0}",
            "ENV CGO_ENABLED=0 GOOS=linux GOFLAGS=\"-trimpath -mod=readonly\"",
            "WORKDIR /src",
            "COPY --link go.mod go.sum ./",
            "RUN --mount=type=cache,target=/go/pkg/mod \\",
            "    --mount=type=cache,target=/root/.cache/go-build \\",
            "    go mod download && \\",
            "    go build -ldflags \"-s -w -X main.version=${VERSION}\" -o /out/app ./cmd/app",
            "RUN <<EOF",
            "set -eux",
            "apt-get update && apt-get install -y --no-install-recommends ca-certificates",
            "EOF",
            "FROM gcr.io/distroless/static:nonroot",
            "LABEL org.opencontainers.image.title=\"app\" org.opencontainers.image.version=\"1.0\"",
            "COPY --from=build{0} --chown=65532:65532 /out/app /app",
            "EXPOSE 8080/tcp",
            "USER 65532:65532",
            "HEALTHCHECK --interval=30s --timeout=3s CMD [\"/app\", \"-health\"]",
            "ENTRYPOINT [\"/app\"]",
            "CMD [\"serve\", \"--port\", \"8080\"]",
        ];
        var sb = new StringBuilder();
        var count = 0;
        for (var i = 0; count < lines; i++)
        {
            foreach (var line in block.Skip(i == 0 ? 0 : 1))
            {
                sb.AppendLine(line.Replace("{0}", i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
                count++;
            }
        }
        return sb.ToString();
    }
}
