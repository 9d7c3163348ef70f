using Builder.Dockerfile.Shell;

namespace Builder.Dockerfile.Tests.Shell;

/// <summary>Behaviour beyond the upstream vectors: options, the backtick escape, messages, pattern details.</summary>
public sealed class ShellLexerTests
{
    private static readonly ShellLexer Lexer = new('\\');

    private static IReadOnlyDictionary<string, string> Env(params string[] entries) => ShellEnvironment.FromList(entries);

    [Theory]
    [InlineData("he`$PWD", "he$PWD")]
    [InlineData("\"a`\"b\"", "a\"b")]
    [InlineData(@"C:\path\file", @"C:\path\file")]
    [InlineData("a` b", "a b")]
    public void Backtick_escape_escapes_and_leaves_backslash_literal(string input, string expected)
    {
        var lexer = new ShellLexer('`');

        Assert.Equal(expected, lexer.ProcessWord(input, Env("PWD=/home")).Value);
    }

    [Fact]
    public void Escape_character_other_than_backslash_or_backtick_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShellLexer('x'));
    }

    [Fact]
    public void Mandatory_variable_error_names_the_word_the_variable_and_the_expanded_message()
    {
        var error = Assert.Throws<ShellExpansionException>(
            () => Lexer.ProcessWord("${TOKEN:?set TOKEN for $STAGE}", Env("STAGE=prod")));

        Assert.Equal("${TOKEN:?set TOKEN for $STAGE}", error.Word);
        Assert.Equal("TOKEN: set TOKEN for prod", error.Reason);
        Assert.Equal("failed to process \"${TOKEN:?set TOKEN for $STAGE}\": TOKEN: set TOKEN for prod", error.Message);
    }

    [Theory]
    [InlineData("${A?}", new string[0], "A: is not allowed to be unset")]
    [InlineData("${A:?}", new[] { "A=" }, "A: is not allowed to be empty")]
    public void Mandatory_variable_without_message_says_what_is_wrong(string input, string[] env, string reason)
    {
        var error = Assert.Throws<ShellExpansionException>(() => Lexer.ProcessWord(input, Env(env)));

        Assert.Equal(reason, error.Reason);
    }

    [Theory]
    [InlineData("${v=x}", "unsupported modifier (=) in substitution")]
    [InlineData("${v:=x}", "unsupported modifier (:=) in substitution")]
    [InlineData("${v:#x}", "unsupported modifier (:#) in substitution")]
    [InlineData("${v:%%x}", "unsupported modifier (:%) in substitution")]
    [InlineData("${#v}", "unsupported modifier (v) in substitution")]
    [InlineData("${}", "syntax error: bad substitution")]
    [InlineData("${:-x}", "syntax error: bad substitution")]
    [InlineData("${v", "syntax error: missing '}'")]
    [InlineData("${", "syntax error: missing '}'")]
    [InlineData("${v:-x", "syntax error: missing '}'")]
    [InlineData("${v/x", "syntax error: missing '/' in ${}")]
    [InlineData("${v/x/y", "syntax error: missing '}'")]
    [InlineData("'abc", "unexpected end of statement while looking for matching single-quote")]
    [InlineData("\"abc", "unexpected end of statement while looking for matching double-quote")]
    public void Malformed_or_unsupported_forms_fail_with_a_clear_reason(string input, string reason)
    {
        var error = Assert.Throws<ShellExpansionException>(() => Lexer.ProcessWord(input, Env("v=value")));

        Assert.Equal(reason, error.Reason);
    }

    [Fact]
    public void Failure_inside_an_unterminated_expansion_is_reported_as_the_missing_brace()
    {
        var error = Assert.Throws<ShellExpansionException>(() => Lexer.ProcessWord("${a:-${b:?oops}", Env()));

        Assert.Equal("syntax error: missing '}'", error.Reason);
    }

    [Theory]
    [InlineData("${v%.*}", "file.tar.gz", "file.tar")]
    [InlineData("${v%%.*}", "file.tar.gz", "file")]
    [InlineData("${v#*.}", "file.tar.gz", "tar.gz")]
    [InlineData("${v##*.}", "file.tar.gz", "gz")]
    [InlineData("${v#*/}", "a/b/c", "b/c")]
    [InlineData("${v##*/}", "a/b/c", "c")]
    [InlineData("${v%/*}", "a/b/c", "a/b")]
    [InlineData("${v#x}", "abc", "abc")]
    [InlineData("${v%\\}}", "a}", "a")]
    [InlineData("${v#\\/}", "/a", "a")]
    public void Prefix_and_suffix_removal_take_the_shortest_or_longest_match(string input, string value, string expected)
    {
        Assert.Equal(expected, Lexer.ProcessWord(input, Env("v=" + value)).Value);
    }

    [Theory]
    [InlineData("[ab]x", "x")]
    [InlineData("ax", "ax")]
    public void Brackets_in_patterns_are_literal_as_in_buildkit(string value, string expected)
    {
        Assert.Equal(expected, Lexer.ProcessWord("${v#[ab]}", Env("v=" + value)).Value);
    }

    [Fact]
    public void Question_mark_matches_a_whole_astral_character_from_either_end()
    {
        var env = Env("v=😀x😀");

        Assert.Equal("x😀", Lexer.ProcessWord("${v#?}", env).Value);
        Assert.Equal("😀x", Lexer.ProcessWord("${v%?}", env).Value);
    }

    [Fact]
    public void Wildcards_do_not_match_a_line_feed_as_with_go_regular_expressions()
    {
        var env = new Dictionary<string, string> { ["v"] = "a\nb" };

        Assert.Equal("a\nb", Lexer.ProcessWord("${v#*b}", env).Value);
        Assert.Equal("b", Lexer.ProcessWord("${v#a?}", new Dictionary<string, string> { ["v"] = "axb" }).Value);
    }

    [Fact]
    public void Invalid_escape_in_a_pattern_is_an_error()
    {
        var error = Assert.Throws<ShellExpansionException>(() => Lexer.ProcessWord(@"${v#\x}", Env("v=x")));

        Assert.StartsWith(@"invalid pattern (\x) in substitution", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("${v/o/0}", "foo boo", "f0o boo")]
    [InlineData("${v//o/0}", "foo boo", "f00 b00")]
    [InlineData("${v/o*/X}", "foo boo", "fX")]
    [InlineData("${v//*/x}", "abc", "x")]
    [InlineData("${v/#/x}", "abc", "abc")]
    public void Substitution_replaces_the_first_or_every_longest_match(string input, string value, string expected)
    {
        Assert.Equal(expected, Lexer.ProcessWord(input, Env("v=" + value)).Value);
    }

    [Fact]
    public void Replacing_every_match_of_an_empty_pattern_inserts_between_all_characters()
    {
        Assert.Equal("-a-b-", Lexer.ProcessWord("${v//$E/-}", Env("v=ab", "E=")).Value);
    }

    [Fact]
    public void Replace_all_expands_dollar_zero_like_go_while_single_replace_inserts_it_literally()
    {
        var env = Env("v=abc", "R=[$0|$$|${x}|$]");

        Assert.Equal("a[b|$||$]c", Lexer.ProcessWord("${v//b/$R}", env).Value);
        Assert.Equal("a[$0|$$|${x}|$]c", Lexer.ProcessWord("${v/b/$R}", env).Value);
    }

    [Fact]
    public void Skip_unset_env_leaves_references_to_unset_variables_as_written()
    {
        var lexer = new ShellLexer('\\', ShellLexerOptions.SkipUnsetEnv);

        var result = lexer.ProcessWord("$X ${X} ${X:-d} ${X#p} ${Y} $Y", Env("Y=1"));

        Assert.Equal("$X ${X} ${X:-d} ${X#p} 1 1", result.Value);
        Assert.Equal(["X"], result.Unmatched);
    }

    [Fact]
    public void Skip_unset_env_writes_replace_all_back_with_one_slash_as_buildkit_does()
    {
        var lexer = new ShellLexer('\\', ShellLexerOptions.SkipUnsetEnv);

        Assert.Equal("${X/a/b}", lexer.ProcessWord("${X//a/b}", Env()).Value);
    }

    [Fact]
    public void Raw_quotes_keep_quote_characters()
    {
        var lexer = new ShellLexer('\\', ShellLexerOptions.RawQuotes);

        Assert.Equal("'a $A' \"b x\"", lexer.ProcessWord("'a $A' \"b $A\"", Env("A=x")).Value);
    }

    [Fact]
    public void Raw_escapes_keep_the_escape_character_and_still_protect_the_next_one()
    {
        var lexer = new ShellLexer('\\', ShellLexerOptions.RawEscapes);

        Assert.Equal(@"a\ b\$A", lexer.ProcessWord(@"a\ b\$A", Env("A=x")).Value);
        Assert.Equal([@"a\ b"], lexer.ProcessWords(@"a\ b", Env()));
    }

    [Fact]
    public void Skip_process_quotes_treats_quotes_as_text_but_still_expands()
    {
        var lexer = new ShellLexer('\\', ShellLexerOptions.SkipProcessQuotes);

        Assert.Equal("\"x\" 'x'", lexer.ProcessWord("\"$A\" '$A'", Env("A=x")).Value);
    }

    [Theory]
    [InlineData("$1", "1")]
    [InlineData("${10}", "10")]
    [InlineData("$@", "@")]
    [InlineData("$#", "#")]
    [InlineData("$$", "$")]
    [InlineData("$0", "0")]
    public void Positional_and_special_parameters_are_never_set(string input, string name)
    {
        var result = Lexer.ProcessWord(input, Env("A=1"));

        Assert.Equal("", result.Value);
        Assert.Equal([name], result.Unmatched);
    }

    [Theory]
    [InlineData("$", "$")]
    [InlineData("$.", "$.")]
    [InlineData("a$ b", "a$ b")]
    [InlineData("$'x'", "$x")]
    public void Dollar_before_something_that_is_no_name_is_literal(string input, string expected)
    {
        Assert.Equal(expected, Lexer.ProcessWord(input, Env()).Value);
    }

    [Fact]
    public void Variable_names_may_use_letters_of_any_script()
    {
        Assert.Equal("1-", Lexer.ProcessWord("$변수-", Env("변수=1")).Value);
    }

    [Theory]
    [InlineData("a \"b c\" d", new[] { "a", "b c", "d" })]
    [InlineData("$A", new[] { "x", "y" })]
    [InlineData("\"$A\"", new[] { " x  y " })]
    [InlineData("a\\ b", new[] { "a b" })]
    [InlineData("\"\"", new string[0])]
    [InlineData("  ", new string[0])]
    public void Words_split_on_unquoted_space_after_expansion(string input, string[] expected)
    {
        Assert.Equal(expected, Lexer.ProcessWords(input, Env("A= x  y ")));
    }

    [Fact]
    public void Text_around_a_braced_expansion_stays_in_the_same_word()
    {
        Assert.Equal(["helloxbye", "z"], Lexer.ProcessWords("hello${a:-x}bye z", Env()));
    }

    [Fact]
    public void Matched_lists_variables_that_are_set_even_when_empty()
    {
        var result = Lexer.ProcessWord("${A:-$B}${C}", Env("A=", "B=b"));

        Assert.Equal("b", result.Value);
        Assert.Equal(["A", "B"], result.Matched.Order(StringComparer.Ordinal));
        Assert.Equal(["C"], result.Unmatched);
    }

    [Fact]
    public void Leading_byte_order_mark_is_dropped_as_by_buildkits_scanner()
    {
        Assert.Equal("abc", Lexer.ProcessWord("\uFEFFabc", Env()).Value);
    }

    [Fact]
    public void Lexer_can_be_shared_between_threads()
    {
        var env = Env("A=1");

        var results = Enumerable.Range(0, 64).AsParallel().Select(i => Lexer.ProcessWord($"${{A}}-{i}", env).Value).ToList();

        Assert.Equal(Enumerable.Range(0, 64).Select(i => $"1-{i}"), results);
    }

    [Fact]
    public void Env_list_keeps_everything_after_the_first_equals_sign()
    {
        var env = ShellEnvironment.FromList(["A=b=c", "=x"]);

        Assert.Equal("b=c", env["A"]);
        Assert.Equal("x", env[""]);
    }
}
