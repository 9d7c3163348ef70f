using static Builder.Lint.Tests.Behaviour;

namespace Builder.Lint.Tests;

/// <summary>hadolint's rules about what RUN does (beyond package managers), case by case.</summary>
public sealed class ShellBehaviourTests
{
    public static TheoryData<string, string, int[]> Cases => new()
    {
        // DL3001 pointless commands
        { "DL3001", Lines("RUN top -b -n 1"), [1] },
        { "DL3001", Lines("RUN service nginx start"), [1] },
        { "DL3001", Lines("RUN apt-get install -y openssh-client=1:9.2 && echo ssh"), [] },
        { "DL3001", Lines("RUN apt-get install ssh"), [] },
        // DL3003 cd
        { "DL3003", Lines("WORKDIR /opt"), [] },
        { "DL3003", Lines("RUN cd /opt"), [1] },
        { "DL3003", Lines("RUN make -C /opt && echo cd"), [] },
        { "DL3003", Lines("RUN [\"/bin/bash\", \"-c\", \"cd /opt && make\"]"), [1] },
        { "DL3003", Lines("FROM alpine:3.20", "RUN mkdir /opt/app \\", "  && cd /opt/app \\", "  && make"), [2] },
        // DL3004 sudo
        { "DL3004", Lines("RUN sudo apt-get update"), [1] },
        { "DL3004", Lines("RUN apt-get install -y sudo"), [] },
        { "DL3004", Lines("RUN apt-get update && sudo apt-get install -y jq"), [1] },
        { "DL3004", Lines("RUN echo sudo is not used here"), [] },
        // DL3010 COPY an archive then extract it
        { "DL3010", Lines("COPY app.tar /opt/app", "RUN tar -xf /opt/app/app.tar"), [1] },
        { "DL3010", Lines("COPY app.tar /opt/app", "WORKDIR /opt/app", "RUN echo start && tar -xf app.tar"), [1] },
        { "DL3010", Lines("COPY dist/build/app.tar /app.tar", "RUN tar -xf /app.tar"), [1] },
        { "DL3010", Lines("COPY build\\out\\app.tar.gz \"C:\\Program Files\\App\"", "RUN tar -xf \"C:\\Program Files\\App\\app.tar.gz\""), [1] },
        { "DL3010", Lines("COPY build\\out\\app.tar.gz \"C:\\Program Files\\bundle.tar.gz\"", "RUN tar -xf bundle.tar.gz"), [1] },
        { "DL3010", Lines("COPY app.tar.gz /tmp/", "RUN gunzip /tmp/app.tar.gz"), [1] },
        { "DL3010", Lines("COPY app.tar /opt/app", "FROM debian:12 AS next"), [] },
        { "DL3010", Lines("COPY app.tar /opt/app", "FROM debian:12", "RUN tar -xf /opt/app/app.tar"), [] },
        { "DL3010", Lines("COPY package.json /opt/app"), [] },
        { "DL3010", Lines("COPY --from=builder /opt/app.tar /opt/app.tar", "RUN tar -xf /opt/app.tar"), [] },
        { "DL3010", Lines("COPY app.tar /opt/app", "RUN tar -tf /opt/app/app.tar"), [] },
        // DL3046 useradd
        { "DL3046", Lines("RUN useradd app"), [] },
        { "DL3046", Lines("RUN useradd -u 10001 app"), [] },
        { "DL3046", Lines("RUN useradd -l -u 1000001 app"), [] },
        { "DL3046", Lines("RUN useradd --no-log-init -u 1000001 app"), [] },
        { "DL3046", Lines("RUN useradd -l app"), [] },
        { "DL3046", Lines("RUN useradd -u 1000001 app"), [1] },
        { "DL3046", Lines("RUN useradd --uid=1000001 app"), [1] },
        // DL3047 wget progress
        { "DL3047", Lines("FROM alpine:3.20", "RUN wget https://example.com/file"), [2] },
        { "DL3047", Lines("RUN wget --progress=dot:giga https://example.com/file"), [] },
        { "DL3047", Lines("RUN wget -q https://example.com/file"), [] },
        { "DL3047", Lines("RUN wget -qO- https://example.com/file"), [] },
        { "DL3047", Lines("RUN wget --quiet https://example.com/file"), [] },
        { "DL3047", Lines("RUN wget -nv https://example.com/file"), [] },
        { "DL3047", Lines("RUN wget --no-verbose https://example.com/file"), [] },
        { "DL3047", Lines("RUN wget --output-file=/tmp/wget.log https://example.com/file"), [] },
        { "DL3047", Lines("RUN wget -o /tmp/wget.log https://example.com/file"), [] },
        { "DL3047", Lines("RUN wget --append-output=/tmp/wget.log https://example.com/file"), [] },
        { "DL3047", Lines("RUN wget -a /tmp/wget.log https://example.com/file"), [] },
        { "DL3047", Lines("RUN wget -O /tmp/file https://example.com/file"), [1] },
        // DL4001 wget and curl
        { "DL4001", Lines("FROM alpine:3.20", "RUN wget https://a.example.com", "RUN curl https://b.example.com"), [3] },
        { "DL4001", Lines("FROM alpine:3.20", "RUN wget https://a.example.com && curl https://b.example.com"), [2] },
        { "DL4001", Lines("FROM alpine:3.20", "RUN wget https://a.example.com"), [] },
        { "DL4001", Lines("FROM alpine:3.20 AS a", "RUN wget https://a.example.com", "FROM alpine:3.20", "RUN curl https://b.example.com"), [] },
        { "DL4001", Lines("FROM alpine:3.20 AS a", "RUN wget https://a.example.com", "RUN curl https://b.example.com", "FROM alpine:3.20", "RUN curl https://c.example.com"), [3] },
        { "DL4001", Lines("FROM alpine:3.20", "RUN wget https://a.example.com", "RUN curl https://b.example.com", "RUN echo done"), [3] },
        { "DL4001", Lines("FROM alpine:3.20", "RUN wget https://a.example.com", "RUN curl https://b.example.com", "RUN echo done", "RUN wget https://c.example.com"), [3, 5] },
        // DL4005 relinking /bin/sh
        { "DL4005", Lines("RUN ln -sfv /bin/bash /bin/sh"), [1] },
        { "DL4005", Lines("RUN ln -sf /bin/true /sbin/initctl"), [] },
        { "DL4005", Lines("RUN ln -s a b && other && uses /bin/sh"), [] },
        // DL4006 pipefail
        { "DL4006", Lines("FROM alpine:3.20", "RUN wget -O - https://example.com | wc -l > /count"), [2] },
        { "DL4006", Lines("FROM alpine:3.20", "RUN wget -O - https://example.com && wc -l file > /count"), [] },
        { "DL4006", Lines("FROM alpine:3.20", "RUN test -f a || touch a"), [] },
        { "DL4006", Lines("FROM alpine:3.20", "RUN [\"/bin/sh\", \"-c\", \"a | b\"]"), [] },
        { "DL4006", Lines("FROM alpine:3.20", "SHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]", "RUN wget -O - https://example.com | wc -l"), [] },
        { "DL4006", Lines("FROM alpine:3.20", "SHELL [\"/bin/bash\", \"-e\", \"-o\", \"pipefail\", \"-c\"]", "RUN wget -O - https://example.com | wc -l"), [] },
        { "DL4006", Lines("FROM alpine:3.20", "SHELL [\"/bin/bash\", \"-o\", \"errexit\", \"-o\", \"pipefail\", \"-c\"]", "RUN wget -O - https://example.com | wc -l"), [] },
        { "DL4006", Lines("FROM alpine:3.20", "SHELL [\"/bin/zsh\", \"-o\", \"pipefail\", \"-c\"]", "RUN wget -O - https://example.com | wc -l"), [] },
        { "DL4006", Lines("FROM alpine:3.20", "SHELL [\"/usr/bin/bash\", \"-o\", \"pipefail\", \"-c\"]", "RUN wget -O - https://example.com | wc -l"), [] },
        { "DL4006", Lines("FROM alpine:3.20", "SHELL [\"/usr/local/bin/zsh\", \"-o\", \"pipefail\", \"-c\"]", "RUN wget -O - https://example.com | wc -l"), [] },
        { "DL4006", Lines("FROM alpine:3.20", "SHELL [\"/bin/ash\", \"-o\", \"pipefail\", \"-c\"]", "RUN wget -O - https://example.com | wc -l"), [] },
        { "DL4006", Lines("FROM alpine:3.20", "SHELL [\"/bin/sh\", \"-o\", \"pipefail\", \"-c\"]", "RUN wget -O - https://example.com | wc -l"), [3] },
        { "DL4006", Lines("FROM alpine:3.20", "SHELL [\"pwsh\", \"-c\"]", "RUN Get-ChildItem | Select-Object Name"), [] },
        { "DL4006", Lines("FROM alpine:3.20", "SHELL [\"powershell.exe\"]", "RUN Get-ChildItem | Select-Object Name"), [] },
        { "DL4006", Lines("FROM alpine:3.20", "SHELL [\"cmd.exe\", \"/c\"]", "RUN dir | more"), [] },
        { "DL4006", Lines("FROM alpine:3.20 AS a", "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]", "RUN a | b", "FROM alpine:3.20 AS b", "RUN a | b"), [5] },
        { "DL4006", Lines("FROM alpine:3.20", "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]", "RUN a | b", "SHELL [\"/bin/sh\", \"-c\"]", "RUN a | b"), [5] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_rule_reports_exactly_these_lines(string id, string dockerfile, int[] lines) =>
        Assert.Equal(lines, LinesOf(id, dockerfile));

    public static TheoryData<string, string, int> OnbuildCases => new()
    {
        { "DL3001", Lines("RUN top"), 1 },
        { "DL3001", Lines("RUN apt-get install ssh"), 0 },
        { "DL3004", Lines("RUN sudo apt-get update"), 1 },
        { "DL3004", Lines("RUN apt-get install sudo"), 0 },
        { "DL3004", Lines("RUN apt-get update && sudo apt-get install"), 1 },
        { "DL3047", Lines("FROM alpine:3.20", "RUN wget https://example.com/file"), 1 },
        { "DL3047", Lines("FROM alpine:3.20", "RUN wget -q https://example.com/file"), 0 },
        { "DL4005", Lines("RUN ln -sfv /bin/bash /bin/sh"), 1 },
    };

    [Theory]
    [MemberData(nameof(OnbuildCases))]
    public void Onbuild_runs_are_checked_on_their_own(string id, string dockerfile, int count) =>
        Assert.Equal(count, LinesOf(id, AsOnbuild(dockerfile)).Length);

    [Fact]
    public void Shell_commands_are_read_the_way_a_shell_reads_them()
    {
        var commands = ShellCommands.Parse("sudo -E env A=1 apt-get install -y x && echo \"C:\\Program Files\\x\" \"a\\\"b\"");

        Assert.Equal(["apt-get", "echo"], commands.Select(c => c.Name));
        Assert.Equal(["sudo", "-E", "env", "A=1"], commands[0].Prefixes);
        Assert.Equal(["C:\\Program Files\\x", "a\"b"], commands[1].Args);
    }

    [Fact]
    public void Flags_are_named_the_way_hadolint_names_them()
    {
        var command = new ShellCommand("tool", ["-abc", "--long=value", "--", "-", "word", "-t", "target", "--target-release", "stable", "pkg"]);

        Assert.Equal(["a", "b", "c", "long", "t", "target-release"], command.FlagNames);
        Assert.Equal(["--", "-", "word", "pkg"], command.ArgsWithoutFlags("t", "target-release"));
        Assert.True(command.HasFlag("b"));
    }

    [Fact]
    public void Shell_rule_messages_and_severities_are_hadolints()
    {
        Assert.Equal(["Use WORKDIR to switch to a directory"], MessagesOf("DL3003", Lines("RUN cd /x")));
        Assert.Equal(["Either use Wget or Curl but not both"], MessagesOf("DL4001", Lines("RUN wget a && curl b")));
        Assert.Equal(Severity.Info, DockerfileLinter.Rule("DL3001")!.DefaultSeverity);
        Assert.Equal(Severity.Error, DockerfileLinter.Rule("DL3004")!.DefaultSeverity);
        Assert.Equal(Severity.Info, DockerfileLinter.Rule("DL3010")!.DefaultSeverity);
        Assert.Equal(Severity.Info, DockerfileLinter.Rule("DL3047")!.DefaultSeverity);
        Assert.Equal(Severity.Warning, DockerfileLinter.Rule("DL4006")!.DefaultSeverity);
    }
}
