using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Syntax;

namespace Builder.Dockerfile.Tests.Syntax;

/// <summary>Heredocs as the Dockerfile reference uses them (its examples, plus the edges around them).</summary>
public sealed class HeredocTests
{
    private static InstructionSyntax Single(string body)
    {
        var syntax = DockerfileParser.Parse("FROM debian\n" + body);
        Assert.Empty(syntax.Errors);
        return Assert.Single(syntax.Instructions.Skip(1));
    }

    private static Instruction BindSingle(string body) =>
        Assert.Single(Binder.Bind(DockerfileParser.Parse("FROM debian\n" + body)).Stages[0].Instructions);

    [Fact]
    public void Run_script_of_several_commands()
    {
        var run = Single("RUN <<EOF\napt-get update\napt-get install -y curl\nEOF\n");

        var heredoc = Assert.Single(run.Heredocs);
        Assert.Equal("EOF", heredoc.Name);
        Assert.Equal("apt-get update\napt-get install -y curl\n", heredoc.Content);
        Assert.True(heredoc.Expand);
        Assert.Equal("run \"<<EOF\"", SyntaxDump.Dump(run));
    }

    [Fact]
    public void Run_heredoc_fed_to_an_interpreter_named_after_it()
    {
        var run = Single("RUN <<EOT bash\n  set -ex\n  apt-get update\n  apt-get install -y vim\nEOT\n");

        Assert.Equal("  set -ex\n  apt-get update\n  apt-get install -y vim\n", Assert.Single(run.Heredocs).Content);
        Assert.Equal("<<EOT bash", Assert.Single(run.Arguments).Value);
    }

    [Fact]
    public void Run_heredoc_with_a_shebang_keeps_it()
    {
        var run = Single("RUN <<EOT\n#!/usr/bin/env python\nprint(\"hello world\")\nEOT\n");

        Assert.StartsWith("#!/usr/bin/env python\n", Assert.Single(run.Heredocs).Content);
    }

    [Fact]
    public void Run_heredoc_as_the_stdin_of_a_command()
    {
        var run = Single("RUN python3 <<EOF\nwith open(\"/hello\", \"w\") as f:\n    print(\"Hello\", file=f)\nEOF\n");

        Assert.Equal("with open(\"/hello\", \"w\") as f:\n    print(\"Hello\", file=f)\n", Assert.Single(run.Heredocs).Content);
    }

    [Fact]
    public void Two_heredocs_in_one_run_are_read_in_order()
    {
        var run = Single("RUN <<FILE1 cat > file1 && <<FILE2 cat > file2\nI am\nfirst\nFILE1\nI am\nsecond\nFILE2\n");

        Assert.Equal([("FILE1", "I am\nfirst\n"), ("FILE2", "I am\nsecond\n")], run.Heredocs.Select(h => (h.Name, h.Content)));
    }

    [Fact]
    public void Copy_heredoc_creates_a_file_from_inline_content()
    {
        var copy = Assert.IsType<CopyInstruction>(BindSingle("COPY <<EOF greeting.txt\nhello world\nEOF\n"));

        Assert.Empty(copy.Sources);
        Assert.Equal([new InlineSource("EOF", "hello world\n", true)], copy.InlineSources);
        Assert.Equal("greeting.txt", copy.Destination);
    }

    [Fact]
    public void Copy_dash_heredoc_strips_leading_tabs_and_expands_variables()
    {
        var copy = Assert.IsType<CopyInstruction>(BindSingle("COPY <<-EOT /script.sh\n\techo \"hello ${FOO}\"\n\tEOT\n"));

        var inline = Assert.Single(copy.InlineSources);
        Assert.Equal("echo \"hello ${FOO}\"\n", inline.Content);
        Assert.True(inline.Expand);
    }

    [Fact]
    public void Copy_quoted_heredoc_name_turns_expansion_off()
    {
        var copy = Assert.IsType<CopyInstruction>(BindSingle("COPY <<-\"EOT\" /script.sh\n\techo \"hello ${FOO}\"\nEOT\n"));

        Assert.False(Assert.Single(copy.InlineSources).Expand);
    }

    [Fact]
    public void Single_quoted_run_heredoc_is_not_expanded()
    {
        var run = Single("RUN <<'EOF' sh\necho $HOME\nEOF\n");

        Assert.False(Assert.Single(run.Heredocs).Expand);
    }

    [Fact]
    public void Copy_several_heredocs_to_a_directory()
    {
        var copy = Assert.IsType<CopyInstruction>(BindSingle("COPY <<robots.txt <<humans.txt /usr/share/nginx/html/\nUser-agent: *\nrobots.txt\n/* TEAM */\nhumans.txt\n"));

        Assert.Equal(["robots.txt", "humans.txt"], copy.InlineSources.Select(s => s.Name));
        Assert.Equal("User-agent: *\n", copy.InlineSources[0].Content);
        Assert.Equal("/* TEAM */\n", copy.InlineSources[1].Content);
    }

    [Fact]
    public void Add_accepts_heredocs_too()
    {
        var add = Assert.IsType<AddInstruction>(BindSingle("ADD <<EOF /etc/motd\nwelcome\nEOF\n"));

        Assert.Equal("welcome\n", Assert.Single(add.InlineSources).Content);
    }

    [Fact]
    public void Heredoc_on_a_file_descriptor()
    {
        var run = Single("RUN 3<<EOF cat /dev/fd/3\nthree\nEOF\n");

        var heredoc = Assert.Single(run.Heredocs);
        Assert.Equal(3, heredoc.FileDescriptor);
        Assert.Equal("three\n", heredoc.Content);
    }

    [Fact]
    public void Run_flags_before_a_heredoc_are_flags()
    {
        var run = Assert.IsType<RunInstruction>(BindSingle("RUN --mount=type=cache,target=/root/.cache <<EOF\npip install -r requirements.txt\nEOF\n"));

        Assert.Equal(["type=cache,target=/root/.cache"], run.Mounts);
        Assert.Equal("pip install -r requirements.txt\n", Assert.Single(run.Heredocs).Content);
    }

    [Fact]
    public void Onbuild_trigger_can_carry_a_heredoc()
    {
        var onbuild = Single("ONBUILD RUN <<EOF\necho built on\nEOF\n");

        Assert.Equal("echo built on\n", Assert.Single(onbuild.Trigger!.Heredocs).Content);
        Assert.Equal(4, onbuild.Span.End.Line);
    }

    [Fact]
    public void Heredoc_body_is_raw_no_continuations_comments_or_directives()
    {
        var run = Single("RUN <<EOF\n# not a comment to the parser\necho a \\\nb\n\n# escape=`\nEOF\n");

        Assert.Equal("# not a comment to the parser\necho a \\\nb\n\n# escape=`\n", Assert.Single(run.Heredocs).Content);
    }

    [Fact]
    public void Exec_form_text_that_looks_like_a_heredoc_is_not_one()
    {
        var run = Single("RUN [\"<<EOF\"]\n");

        Assert.Empty(run.Heredocs);
        Assert.True(run.IsJsonForm);
    }

    [Fact]
    public void Crlf_line_endings_end_the_heredoc_and_stay_in_the_body()
    {
        var run = Single("RUN <<EOF\r\necho hi\r\nEOF\r\n");

        Assert.Equal("echo hi\r\n", Assert.Single(run.Heredocs).Content);
    }

    [Fact]
    public void Instructions_after_a_heredoc_continue_normally()
    {
        var syntax = DockerfileParser.Parse("FROM debian\nRUN <<EOF\nEOF\nCMD [\"sh\"]\n");

        Assert.Equal(["FROM", "RUN", "CMD"], syntax.Instructions.Select(i => i.Name));
        Assert.Equal(4, syntax.Instructions[2].Span.Start.Line);
    }

    [Fact]
    public void Terminator_must_match_exactly()
    {
        var syntax = DockerfileParser.Parse("FROM debian\nRUN <<EOF\n EOF\nEOF \n");

        Assert.Equal("unterminated heredoc", Assert.Single(syntax.Errors).Message);
    }
}
