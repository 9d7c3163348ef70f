using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Syntax;

namespace Builder.Dockerfile.Tests.Binding;

public sealed class BinderTests
{
    private static BoundDockerfile Bind(string text) => Binder.Bind(DockerfileParser.Parse(text));

    private static DockerfileException Fails(string text) => Assert.Throws<DockerfileException>(() => Bind(text));

    [Theory]
    [InlineData("FROM a\nCOPY --form=b x y\n", "Dockerfile:2:6: unknown flag: form")]
    [InlineData("FROM a\nRUN --mount=type=cache,target=/x --netwrok=none true\n", "Dockerfile:2:34: unknown flag: netwrok")]
    [InlineData("FROM a\nCOPY --from=x --from=y a b\n", "Dockerfile:2:15: duplicate flag specified: from")]
    [InlineData("FROM a\nCOPY --from a b\n", "Dockerfile:2:6: missing a value on flag: from")]
    [InlineData("FROM a\nCOPY --link=maybe a b\n", "Dockerfile:2:6: expecting boolean value for flag link, not: maybe")]
    [InlineData("FROM --plat=linux/amd64 a\n", "Dockerfile:1:6: unknown flag: plat")]
    [InlineData("FROM a\nWORKDIR --chown=1 /x\n", "Dockerfile:2:9: unknown flag: chown")]
    public void Bad_flags_are_named_with_their_location(string text, string message)
    {
        Assert.Equal(message, Fails(text).Message);
    }

    [Theory]
    [InlineData("FROM a\nRUNN true\n", "Dockerfile:2:1: unknown instruction: RUNN (did you mean RUN?)")]
    [InlineData("FROM a\nFORM b\n", "Dockerfile:2:1: unknown instruction: FORM (did you mean FROM?)")]
    [InlineData("FROM a\n  xyzzy plugh\n", "Dockerfile:2:3: unknown instruction: xyzzy")]
    [InlineData("RUN true\nFROM a\n", "Dockerfile:1:1: no build stage in current context")]
    [InlineData("FROM a b\n", "Dockerfile:1:1: FROM requires either one or three arguments")]
    [InlineData("FROM a AS 1st\n", "Dockerfile:1:11: invalid name for build stage: \"1st\", name can't start with a number or contain symbols")]
    [InlineData("FROM a\nENV\n", "Dockerfile:2:1: ENV requires at least one argument")]
    [InlineData("FROM a\nENV =x\n", "Dockerfile:2:5: ENV names can not be blank")]
    [InlineData("FROM a\nARG =x\n", "Dockerfile:2:5: ARG names can not be blank")]
    [InlineData("FROM a\nCOPY x\n", "Dockerfile:2:1: COPY requires at least two arguments, but only one was provided. Destination could not be determined")]
    [InlineData("FROM a\nCOPY x <<EOF\nbody\nEOF\n", "Dockerfile:2:8: COPY cannot accept a heredoc as a destination")]
    [InlineData("FROM a\nUSER\n", "Dockerfile:2:1: USER requires exactly one argument")]
    [InlineData("FROM a\nEXPOSE\n", "Dockerfile:2:1: EXPOSE requires at least one argument")]
    [InlineData("FROM a\nSHELL /bin/bash -c\n", "Dockerfile:2:1: SHELL requires the arguments to be in JSON form")]
    [InlineData("FROM a\nSHELL []\n", "Dockerfile:2:1: SHELL requires at least one argument")]
    [InlineData("FROM a\nONBUILD ONBUILD RUN x\n", "Dockerfile:2:9: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")]
    [InlineData("FROM a\nONBUILD FROM b\n", "Dockerfile:2:9: FROM isn't allowed as an ONBUILD trigger")]
    [InlineData("FROM a\nONBUILD COPY --chmod x y\n", "Dockerfile:2:14: missing a value on flag: chmod")]
    [InlineData("FROM a\nONBUILD\n", "Dockerfile:2:1: ONBUILD requires at least one argument")]
    [InlineData("FROM a\nHEALTHCHECK CONNECT TCP 7000\n", "Dockerfile:2:13: Unknown type \"CONNECT\" in HEALTHCHECK (try CMD)")]
    [InlineData("FROM a\nHEALTHCHECK CMD\n", "Dockerfile:2:1: Missing command after HEALTHCHECK CMD")]
    [InlineData("FROM a\nHEALTHCHECK NONE x\n", "Dockerfile:2:1: HEALTHCHECK NONE takes no arguments")]
    [InlineData("FROM a\nHEALTHCHECK --interval=5 CMD true\n", "Dockerfile:2:13: time: missing unit in duration \"5\"")]
    [InlineData("FROM a\nHEALTHCHECK --timeout=10us CMD true\n", "Dockerfile:2:13: Interval \"timeout\" cannot be less than 1ms")]
    [InlineData("FROM a\nHEALTHCHECK --retries=-1 CMD true\n", "Dockerfile:2:13: --retries cannot be negative (-1)")]
    [InlineData("FROM a\nRUN --network=bridge true\n", "Dockerfile:2:5: unsupported network mode \"bridge\": use default, none or host")]
    [InlineData("FROM a\nRUN --mount=type=cache,targte=/x true\n", "Dockerfile:2:5: unexpected key 'targte' in 'targte=/x'")]
    [InlineData("FROM a\nRUN --mount=type=cache true\n", "Dockerfile:2:5: mount type=cache requires a target")]
    [InlineData("FROM a\nVOLUME [\"\"]\n", "Dockerfile:2:1: VOLUME specified can not be an empty string")]
    [InlineData("FROM a\nCMD [\"a\", 1]\n", "Dockerfile:2:1: when using JSON array syntax, arrays must be comprised of strings only")]
    [InlineData("FROM a\nRUN <<EOF\nnever ends\n", "Dockerfile:2:1: unterminated heredoc")]
    public void Invalid_instructions_give_one_located_message(string text, string message)
    {
        Assert.Equal(message, Fails(text).Message);
    }

    [Fact]
    public void Global_args_come_before_the_first_stage_and_stages_group_their_instructions()
    {
        var bound = Bind("ARG BASE=alpine\nARG V\nFROM $BASE AS build\nRUN make\nFROM scratch\nCOPY --from=build /out /\n");

        Assert.Equal([new ArgDeclaration("BASE", "alpine"), new ArgDeclaration("V", null)], bound.GlobalArgs.SelectMany(a => a.Args));
        Assert.Equal(2, bound.Stages.Count);
        Assert.Equal("build", bound.Stages[0].Name);
        Assert.Equal("$BASE", bound.Stages[0].From.Image);
        Assert.IsType<RunInstruction>(Assert.Single(bound.Stages[0].Instructions));
        Assert.Null(bound.Stages[1].Name);
        Assert.Equal("1", bound.Stages[1].DisplayName);
        Assert.Equal("build", Assert.IsType<CopyInstruction>(Assert.Single(bound.Stages[1].Instructions)).From);
    }

    [Fact]
    public void Stage_names_are_lower_cased_and_keywords_are_case_insensitive()
    {
        var bound = Bind("from Alpine as Builder\nrun echo hi\n");

        Assert.Equal("builder", bound.Stages[0].Name);
        Assert.Equal("Alpine", bound.Stages[0].From.Image);
        Assert.Equal(CommandLine.Shell("echo hi"), ((RunInstruction)bound.Stages[0].Instructions[0]).Command, CommandLineComparer.Instance);
    }

    [Fact]
    public void Run_keeps_mounts_network_security_and_the_command_form()
    {
        var bound = Bind("FROM a\nRUN --mount=type=cache,target=/root/.cache --mount=type=secret,id=tok --network=none [\"make\", \"all\"]\n");

        var run = Assert.IsType<RunInstruction>(bound.Stages[0].Instructions[0]);
        Assert.Equal(["type=cache,target=/root/.cache", "type=secret,id=tok"], run.Mounts);
        Assert.Equal("none", run.Network);
        Assert.False(run.Command.IsShellForm);
        Assert.Equal(["make", "all"], run.Command.Words);
    }

    [Fact]
    public void Env_and_label_read_both_forms()
    {
        var bound = Bind("FROM a\nENV A 1 2\nENV B=3 C=\"4 5\"\nLABEL x=y\n");

        var legacy = Assert.IsType<EnvInstruction>(bound.Stages[0].Instructions[0]);
        Assert.True(legacy.IsLegacyForm);
        Assert.Equal([new KeyValue("A", "1 2")], legacy.Variables);
        var modern = Assert.IsType<EnvInstruction>(bound.Stages[0].Instructions[1]);
        Assert.False(modern.IsLegacyForm);
        Assert.Equal([new KeyValue("B", "3"), new KeyValue("C", "\"4 5\"")], modern.Variables);
        Assert.Equal([new KeyValue("x", "y")], Assert.IsType<LabelInstruction>(bound.Stages[0].Instructions[2]).Labels);
    }

    // BuildKit's parser keeps a key as written (quotes and variables included): ENV and LABEL expand their keys as words
    // when the stage is built, with the variables in scope then, so the binder must not unquote them.
    [Fact]
    public void Env_and_label_keys_stay_words_to_expand_at_build_time()
    {
        var bound = Bind("FROM a\nENV \"KEY\"=\"v\" 'K2'=v2 K_${name}=v3\nENV \"LEG\" legacy value\nLABEL \"com.example\"=a 'sp ace'=b l_$n=c\n");

        Assert.Equal([new KeyValue("\"KEY\"", "\"v\""), new KeyValue("'K2'", "v2"), new KeyValue("K_${name}", "v3")],
            Assert.IsType<EnvInstruction>(bound.Stages[0].Instructions[0]).Variables);
        Assert.Equal([new KeyValue("\"LEG\"", "legacy value")], Assert.IsType<EnvInstruction>(bound.Stages[0].Instructions[1]).Variables);
        Assert.Equal([new KeyValue("\"com.example\"", "a"), new KeyValue("'sp ace'", "b"), new KeyValue("l_$n", "c")],
            Assert.IsType<LabelInstruction>(bound.Stages[0].Instructions[2]).Labels);
    }

    // A stage ARG's name is used as written: current BuildKit expands its default only (moby/buildkit 47a52a17,
    // dockerfile frontend 1.8; BuildKit 0.8 expanded and unquoted the name too).
    [Fact]
    public void Arg_names_are_kept_as_written_and_defaults_are_left_to_expand()
    {
        var bound = Bind("FROM a\nARG ${name}=value \"q\"=\"x y\" PLAIN\n");

        Assert.Equal([new ArgDeclaration("${name}", "value"), new ArgDeclaration("\"q\"", "\"x y\""), new ArgDeclaration("PLAIN", null)],
            Assert.IsType<ArgInstruction>(bound.Stages[0].Instructions[0]).Args);
    }

    [Fact]
    public void Copy_reads_flags_and_heredoc_sources()
    {
        var bound = Bind("FROM a\nCOPY --chown=1000:1000 --chmod=755 --link --parents --exclude=*.md --exclude=*.txt <<-EOF src/ /dst/\n\tline\n\tEOF\n");

        var copy = Assert.IsType<CopyInstruction>(bound.Stages[0].Instructions[0]);
        Assert.Equal("1000:1000", copy.Chown);
        Assert.Equal("755", copy.Chmod);
        Assert.True(copy.Link);
        Assert.True(copy.Parents);
        Assert.Equal(["*.md", "*.txt"], copy.Excludes);
        Assert.Equal(["src/"], copy.Sources);
        Assert.Equal([new InlineSource("EOF", "line\n", true)], copy.InlineSources);
        Assert.Equal("/dst/", copy.Destination);
    }

    [Fact]
    public void Add_reads_checksum_and_git_flags()
    {
        var bound = Bind("FROM a\nADD --checksum=sha256:abc --keep-git-dir=true --unpack=false https://x/y.tgz /y\n");

        var add = Assert.IsType<AddInstruction>(bound.Stages[0].Instructions[0]);
        Assert.Equal("sha256:abc", add.Checksum);
        Assert.True(add.KeepGitDir);
        Assert.False(add.Unpack);
        Assert.Equal(["https://x/y.tgz"], add.Sources);
    }

    [Fact]
    public void Onbuild_trigger_is_bound_as_an_instruction()
    {
        var bound = Bind("FROM a\nONBUILD COPY --from=b x y\nONBUILD RUN <<EOF\necho hi\nEOF\n");

        var copy = Assert.IsType<OnbuildInstruction>(bound.Stages[0].Instructions[0]);
        Assert.Equal("b", Assert.IsType<CopyInstruction>(copy.Trigger).From);
        Assert.Equal("COPY --from=b x y", copy.Expression);
        var run = Assert.IsType<OnbuildInstruction>(bound.Stages[0].Instructions[1]);
        Assert.Equal("RUN <<EOF\necho hi\nEOF", run.Expression);
        Assert.Equal("echo hi\n", Assert.Single(Assert.IsType<RunInstruction>(run.Trigger).Heredocs).Content);
    }

    [Fact]
    public void Healthcheck_builds_the_config_test_and_intervals()
    {
        var bound = Bind("FROM a\nHEALTHCHECK --interval=1m30s --timeout=3s --start-period=0s --start-interval=500ms --retries=5 CMD curl -f http://x/\nHEALTHCHECK CMD [\"/bin/check\", \"-q\"]\nHEALTHCHECK NONE\n");

        var shell = Assert.IsType<HealthcheckInstruction>(bound.Stages[0].Instructions[0]);
        Assert.Equal(["CMD-SHELL", "curl -f http://x/"], shell.Test);
        Assert.Equal(TimeSpan.FromSeconds(90), shell.Interval);
        Assert.Equal(TimeSpan.FromSeconds(3), shell.Timeout);
        Assert.Equal(TimeSpan.Zero, shell.StartPeriod);
        Assert.Equal(TimeSpan.FromMilliseconds(500), shell.StartInterval);
        Assert.Equal(5, shell.Retries);
        Assert.Equal(["CMD", "/bin/check", "-q"], Assert.IsType<HealthcheckInstruction>(bound.Stages[0].Instructions[1]).Test);
        Assert.True(Assert.IsType<HealthcheckInstruction>(bound.Stages[0].Instructions[2]).IsNone);
    }

    [Fact]
    public void Buildkit_testfiles_bind_unless_they_only_exercise_the_parser()
    {
        var failures = new List<string>();
        foreach (var directory in Directory.GetDirectories(TestData.BuildKit("testfiles")).Order())
        {
            try
            {
                Binder.Bind(DockerfileParser.Parse(File.ReadAllText(Path.Combine(directory, "Dockerfile"))));
            }
            catch (DockerfileException e)
            {
                failures.Add($"{Path.GetFileName(directory)}: {e.Reason}");
            }
        }
        Assert.True(ParserOnlyTestfiles.SequenceEqual(failures), string.Join("\n", failures));
    }

    // BuildKit's parser accepts these files, its instruction parser rejects them, and so do we.
    private static readonly string[] ParserOnlyTestfiles =
    [
        "flags: unknown flag: user",
        "health: HEALTHCHECK requires at least one argument",
        "jeztah-invalid-json-json-inside-string: no build stage in current context",
        "jeztah-invalid-json-json-inside-string-double: no build stage in current context",
        "jeztah-invalid-json-single-quotes: no build stage in current context",
        "jeztah-invalid-json-unterminated-bracket: no build stage in current context",
        "jeztah-invalid-json-unterminated-string: no build stage in current context",
        "json: no build stage in current context",
    ];

    private sealed class CommandLineComparer : IEqualityComparer<CommandLine>
    {
        public static readonly CommandLineComparer Instance = new();

        public bool Equals(CommandLine? x, CommandLine? y) =>
            x is not null && y is not null && x.IsShellForm == y.IsShellForm && x.Words.SequenceEqual(y.Words);

        public int GetHashCode(CommandLine obj) => obj.Words.Count;
    }
}
