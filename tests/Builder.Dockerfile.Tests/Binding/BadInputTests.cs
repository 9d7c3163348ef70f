using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Graph;
using Builder.Dockerfile.Syntax;
using Builder.Dockerfile.Text;

namespace Builder.Dockerfile.Tests.Binding;

/// <summary>Values a user can mistype in a Dockerfile: each is one located error when bound, never a .NET exception.</summary>
public sealed class BadInputTests
{
    private static BoundDockerfile Bind(string text) => Binder.Bind(DockerfileParser.Parse(text));

    private static Instruction Only(string text) => Assert.Single(Bind(text).Stages[0].Instructions);

    private const string ChmodHint = "it should be octal string and between 0 and 07777";

    [Theory]
    [InlineData("FROM a\nCOPY --chmod=99999 x /y\n", $"Dockerfile:2:6: invalid chmod parameter: '99999'. {ChmodHint}")]
    [InlineData("FROM a\nCOPY --chmod=77777 x /y\n", $"Dockerfile:2:6: invalid chmod parameter: '77777'. {ChmodHint}")]
    [InlineData("FROM a\nCOPY --chmod=64a x /y\n", $"Dockerfile:2:6: invalid chmod parameter: '64a'. {ChmodHint}")]
    [InlineData("FROM a\nADD --link --chmod=8 x /y\n", $"Dockerfile:2:12: invalid chmod parameter: '8'. {ChmodHint}")]
    [InlineData("FROM a\nCOPY --chmod=-755 x /y\n", $"Dockerfile:2:6: invalid chmod parameter: '-755'. {ChmodHint}")]
    [InlineData("FROM a\nCOPY --chmod=$MODE x /y\n", $"Dockerfile:2:6: invalid chmod parameter: '$MODE'. {ChmodHint}")]
    [InlineData("FROM a\nONBUILD COPY --chmod=9 x /y\n", $"Dockerfile:2:14: invalid chmod parameter: '9'. {ChmodHint}")]
    [InlineData("FROM a\nCOPY --exclude=*.md --exclude=[ x /y\n", "Dockerfile:2:21: --exclude: syntax error in pattern (bad character class): \"[\"")]
    [InlineData("FROM a\nADD --exclude=! x /y\n", "Dockerfile:2:5: --exclude: illegal exclusion pattern: \"!\"")]
    [InlineData("FROM a\nEXPOSE 80/xyz\n", "Dockerfile:2:8: Invalid proto: xyz")]
    [InlineData("FROM a\nEXPOSE 80 443/Tcp 53/quic\n", "Dockerfile:2:19: Invalid proto: quic")]
    [InlineData("FROM a\nEXPOSE abc\n", "Dockerfile:2:8: Invalid containerPort: abc")]
    [InlineData("FROM a\nEXPOSE 70000\n", "Dockerfile:2:8: Invalid containerPort: 70000")]
    [InlineData("FROM a\nEXPOSE 10-5\n", "Dockerfile:2:8: Invalid containerPort: 10-5")]
    [InlineData("FROM a\nEXPOSE 1-2000000000/udp\n", "Dockerfile:2:8: Invalid containerPort: 1-2000000000")]
    [InlineData("FROM a\nEXPOSE -1\n", "Dockerfile:2:8: Invalid containerPort: -1")]
    [InlineData("FROM a\nEXPOSE /tcp\n", "Dockerfile:2:8: No port specified: /tcp<empty>")]
    [InlineData("FROM a\nEXPOSE x:80\n", "Dockerfile:2:8: Invalid hostPort: x")]
    [InlineData("FROM a\nEXPOSE 1-3:5-9\n", "Dockerfile:2:8: Invalid ranges specified for container and host Ports: 5-9 and 1-3")]
    [InlineData("FROM a\nEXPOSE 300.1.1.1:80:80\n", "Dockerfile:2:8: Invalid ip address: 300.1.1.1")]
    [InlineData("FROM a\nSTOPSIGNAL SIGTERMINATE\n", "Dockerfile:2:12: invalid signal: SIGTERMINATE")]
    [InlineData("FROM a\nSTOPSIGNAL 0\n", "Dockerfile:2:12: invalid signal: 0")]
    [InlineData("FROM a\nHEALTHCHECK --interval=99999999999999999999999999999999h CMD true\n", "Dockerfile:2:13: time: invalid duration \"99999999999999999999999999999999h\"")]
    [InlineData("FROM a\nHEALTHCHECK --timeout=9000000000000000000h CMD true\n", "Dockerfile:2:13: time: invalid duration \"9000000000000000000h\"")]
    [InlineData("FROM a\nHEALTHCHECK --retries=99999999999 CMD true\n", "Dockerfile:2:13: strconv.ParseInt: parsing \"99999999999\": value out of range")]
    [InlineData("FROM a\nHEALTHCHECK --retries=3x CMD true\n", "Dockerfile:2:13: strconv.ParseInt: parsing \"3x\": invalid syntax")]
    [InlineData("FROM a\nRUN --mount=type=tmpfs,target=/t,size=99999999999999999t true\n", "Dockerfile:2:5: invalid size: \"99999999999999999t\"")]
    [InlineData("FROM a\nRUN --mount=type=cache,target=/c,mode=99999 true\n", "Dockerfile:2:5: invalid value 99999 for mode")]
    [InlineData("FROM a\nRUN --mount=type=cache,target=/c,uid=-1 true\n", "Dockerfile:2:5: invalid value -1 for uid")]
    public void Mistyped_values_are_errors_at_their_flag_or_word(string text, string message)
    {
        Assert.Equal(message, Assert.Throws<DockerfileException>(() => Bind(text)).Message);
    }

    [Theory]
    [InlineData("0755", "0755")]
    [InlineData("7777", "7777")]
    [InlineData("0", "0")]
    [InlineData("", null)] // BuildKit: --chmod= is no --chmod
    public void Octal_modes_up_to_07777_are_kept(string chmod, string? expected)
    {
        Assert.Equal(expected, Assert.IsType<CopyInstruction>(Only($"FROM a\nCOPY --chmod={chmod} x /y\n")).Chmod);
    }

    [Theory]
    [InlineData("EXPOSE $PORT/xyz")] // checked once expanded
    [InlineData("EXPOSE \"80/tcp\"")]
    [InlineData("EXPOSE 0 65535/SCTP 8000-8002/udp 8080:80 [::1]:53:53/udp 1-3:5")]
    [InlineData("STOPSIGNAL SIGKILL")]
    [InlineData("STOPSIGNAL term")]
    [InlineData("STOPSIGNAL 9")]
    [InlineData("STOPSIGNAL RTMIN+3")]
    [InlineData("STOPSIGNAL $SIGNAL")]
    public void Valid_or_not_yet_expanded_values_bind(string instruction)
    {
        Assert.NotNull(Only($"FROM a\n{instruction}\n"));
    }

    [Theory]
    [InlineData("80", new[] { "80/tcp" })]
    [InlineData("080/TCP", new[] { "80/tcp" })]
    [InlineData("53/udp", new[] { "53/udp" })]
    [InlineData("8000-8002", new[] { "8000/tcp", "8001/tcp", "8002/tcp" })]
    [InlineData("8080:80", new[] { "80/tcp" })] // only the container port is exposed
    [InlineData("80/", new[] { "80/tcp" })]
    public void Port_specs_expose_their_container_ports(string spec, string[] ports)
    {
        Assert.Equal(ports, ExposedPorts.Parse(spec));
    }

    // BuildKit takes an exec form that is not valid JSON as shell form: the text is run as written.
    [Theory]
    [InlineData("CMD [\"a\", \"b\"")]
    [InlineData("ENTRYPOINT [\"a\",]")]
    [InlineData("RUN [\"x\"")]
    [InlineData("CMD [")]
    [InlineData("HEALTHCHECK CMD [\"curl\"")]
    public void Unterminated_json_is_shell_form(string instruction)
    {
        var bound = Only($"FROM a\n{instruction}\n");

        var command = bound switch
        {
            CmdInstruction c => c.Command,
            EntrypointInstruction e => e.Command,
            RunInstruction r => r.Command,
            HealthcheckInstruction h => new CommandLine([h.Test[1]], h.Test[0] == "CMD-SHELL"),
            _ => throw new InvalidOperationException(bound.Name),
        };
        Assert.True(command.IsShellForm);
        Assert.Equal(instruction[(instruction.IndexOf('[', StringComparison.Ordinal))..], Assert.Single(command.Words));
    }

    [Theory]
    [InlineData(3, "a, b, c")]
    [InlineData(10, "a, b, c, d, e, f, g, h, i, j")]
    [InlineData(11, "a, b, c, d, e, f, g, h, i, j, and 1 more")]
    [InlineData(26, "a, b, c, d, e, f, g, h, i, j, and 16 more")]
    public void Long_lists_are_cut_after_ten(int count, string expected)
    {
        Assert.Equal(expected, ShortList.Join(", ", Enumerable.Range('a', count).Select(c => ((char)c).ToString())));
    }

    [Fact]
    public void Unknown_target_lists_at_most_ten_stages()
    {
        var text = string.Concat(Enumerable.Range(0, 10_000).Select(i => $"FROM scratch AS s{i}\n"));

        var error = Assert.Throws<DockerfileException>(() => StageGraph.Build(Bind(text), new StageGraphOptions(Target: "nope")));

        Assert.Equal("Dockerfile: target stage \"nope\" could not be found (stages: s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, and 9990 more)", error.Message);
    }
}
