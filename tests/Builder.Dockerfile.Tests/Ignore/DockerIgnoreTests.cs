using Builder.Dockerfile.Ignore;

namespace Builder.Dockerfile.Tests.Ignore;

/// <summary>
/// .dockerignore behaviour as BuildKit applies it (moby/patternmatcher + fsutil). Each row is an ignore file,
/// a context-relative path and whether that path is left out of the context.
/// </summary>
public sealed class DockerIgnoreTests
{
    private static bool Excluded(string ignoreFile, string path) => DockerIgnore.Parse(ignoreFile).IsExcluded(path);

    [Theory]
    [InlineData("# comment\n*/temp*", "somedir/temporary.txt", true)]
    [InlineData("*/temp*", "somedir/temp", true)]
    [InlineData("*/temp*", "temp.txt", false)]
    [InlineData("*/temp*", "a/b/temp.txt", false)]
    [InlineData("*/*/temp*", "somedir/subdir/temporary.txt", true)]
    [InlineData("*/*/temp*", "somedir/temporary.txt", false)]
    [InlineData("temp?", "tempa", true)]
    [InlineData("temp?", "temp", false)]
    [InlineData("temp?", "tempab", false)]
    [InlineData("**/*.go", "main.go", true)]
    [InlineData("**/*.go", "a/b/c.go", true)]
    [InlineData("**/*.go", "main.go.txt", false)]
    [InlineData("*.md\n!README.md", "README.md", false)]
    [InlineData("*.md\n!README.md", "CHANGELOG.md", true)]
    [InlineData("*.md\n!README*.md\nREADME-secret.md", "README-secret.md", true)]
    [InlineData("*.md\n!README*.md\nREADME-secret.md", "README-public.md", false)]
    [InlineData("*.md\nREADME-secret.md\n!README*.md", "README-secret.md", false)]
    public void Docker_documentation_examples_behave_as_documented(string ignoreFile, string path, bool excluded)
    {
        Assert.Equal(excluded, Excluded(ignoreFile, path));
    }

    [Theory]
    [InlineData("*.txt", "a.txt", true)]
    [InlineData("*.txt", "dir/a.txt", false)]
    [InlineData("a?b", "a/b", false)]
    [InlineData("a?b", "axb", true)]
    [InlineData("x?", "x😀", true)]
    public void Star_and_question_mark_stay_within_one_path_element(string ignoreFile, string path, bool excluded)
    {
        Assert.Equal(excluded, Excluded(ignoreFile, path));
    }

    [Theory]
    [InlineData("a/**/b", "a/b", true)]
    [InlineData("a/**/b", "a/x/y/b", true)]
    [InlineData("a/**/b", "a/xb", false)]
    [InlineData("a/**", "a/x/y", true)]
    [InlineData("a/**", "a", false)]
    [InlineData("**", "any/thing", true)]
    [InlineData("**/node_modules", "node_modules", true)]
    [InlineData("**/node_modules", "web/app/node_modules/x.js", true)]
    public void Double_star_matches_any_number_of_directories(string ignoreFile, string path, bool excluded)
    {
        Assert.Equal(excluded, Excluded(ignoreFile, path));
    }

    [Theory]
    [InlineData("node_modules", "node_modules/a/b.js", true)]
    [InlineData("dir/", "dir/file", true)]
    [InlineData("*", "src/deep/file.cs", true)]
    [InlineData("docs\n!docs/keep.md", "docs/keep.md", false)]
    [InlineData("docs\n!docs/keep.md", "docs/other.md", true)]
    [InlineData("docs\n!docs/keep.md", "docs", true)]
    [InlineData("*\n!src", "src/x/y.cs", false)]
    [InlineData("*\n!src", "other/y.cs", true)]
    [InlineData("*\n!src/*.cs", "src/a.cs", false)]
    [InlineData("*\n!src/*.cs", "src/b.txt", true)]
    public void A_pattern_matching_a_directory_applies_to_everything_below_it(string ignoreFile, string path, bool excluded)
    {
        Assert.Equal(excluded, Excluded(ignoreFile, path));
    }

    [Theory]
    [InlineData("!a\na", "a", true)]
    [InlineData("a\n!a", "a", false)]
    [InlineData("a\n!a\na", "a/b", true)]
    public void Exceptions_apply_in_order_and_the_last_matching_line_wins(string ignoreFile, string path, bool excluded)
    {
        Assert.Equal(excluded, Excluded(ignoreFile, path));
    }

    [Fact]
    public void Exception_for_a_parent_does_not_undo_an_earlier_exclusion_of_a_subdirectory()
    {
        // BuildKit's walker carries per-pattern results from parent to child: `a/b` matched the directory
        // a/b itself while `!a` did not, so a/b and its content stay out.
        var matcher = DockerIgnore.Parse("a/b\n!a");

        Assert.False(matcher.IsExcluded("a"));
        Assert.True(matcher.IsExcluded("a/b"));
        Assert.True(matcher.IsExcluded("a/b/c"));
        Assert.False(matcher.IsExcluded("a/c"));
    }

    [Theory]
    [InlineData("/foo", "foo", true)]
    [InlineData("./foo", "foo", true)]
    [InlineData("foo/../bar", "bar", true)]
    [InlineData("foo/../bar", "foo", false)]
    [InlineData("a//b/./c/", "a/b/c", true)]
    [InlineData("! /keep\n*", "keep", true)]
    [InlineData("*\n! /keep", "keep", false)]
    [InlineData("foo", "./foo/", true)]
    [InlineData("foo", "foo//bar", true)]
    public void Patterns_and_paths_are_cleaned_before_matching(string ignoreFile, string path, bool excluded)
    {
        Assert.Equal(excluded, Excluded(ignoreFile, path));
    }

    [Theory]
    [InlineData("#foo", "#foo", false)]
    [InlineData("  #foo", "#foo", true)]
    [InlineData("\n\n   \nfoo   \n\n", "foo", true)]
    [InlineData("\tfoo\t", "foo", true)]
    [InlineData("\uFEFFfoo\r\nbar\r\n", "foo", true)]
    [InlineData("\uFEFFfoo\r\nbar\r\n", "bar", true)]
    public void Comments_blank_lines_and_surrounding_white_space_are_ignored(string ignoreFile, string path, bool excluded)
    {
        Assert.Equal(excluded, Excluded(ignoreFile, path));
    }

    [Theory]
    [InlineData("file[0-9].txt", "file1.txt", true)]
    [InlineData("file[0-9].txt", "filea.txt", false)]
    [InlineData("file[^0-9].txt", "filea.txt", true)]
    [InlineData("file[^0-9].txt", "file1.txt", false)]
    [InlineData("x[ab\\]]", "x]", true)]
    [InlineData(@"\*.txt", "*.txt", true)]
    [InlineData(@"\*.txt", "a.txt", false)]
    [InlineData(@"foo\?", "foo?", true)]
    [InlineData(@"foo\?", "fooa", false)]
    [InlineData("a+b(c).{d}|$", "a+b(c).{d}|$", true)]
    [InlineData("*.MD", "a.md", false)]
    public void Classes_escapes_and_literals_follow_go_filepath_match(string ignoreFile, string path, bool excluded)
    {
        Assert.Equal(excluded, Excluded(ignoreFile, path));
    }

    [Theory]
    [InlineData("x[!a]", "x!", true)]
    [InlineData("x[!a]", "xa", true)]
    [InlineData("x[!a]", "xb", false)]
    public void Exclamation_mark_in_brackets_is_a_member_not_a_negation_as_in_docker(string ignoreFile, string path, bool excluded)
    {
        Assert.Equal(excluded, Excluded(ignoreFile, path));
    }

    [Theory]
    [InlineData("**foo", "barfoo", true)]
    [InlineData("**foo", "a/barfoo", true)]
    [InlineData("^foo", "^foo", true)]
    [InlineData("^foo*", "foobar", true)]
    [InlineData("^foo*", "^foobar", false)]
    [InlineData("foo**", "foobar/x", true)]
    public void Mobys_matching_shortcuts_are_kept(string ignoreFile, string path, bool excluded)
    {
        Assert.Equal(excluded, Excluded(ignoreFile, path));
    }

    [Fact]
    public void Context_root_is_never_excluded()
    {
        var matcher = DockerIgnore.Parse("*\n**\n.");

        Assert.False(matcher.IsExcluded("."));
        Assert.False(matcher.IsExcluded(""));
        Assert.True(matcher.MayIncludeUnder("."));
    }

    [Theory]
    [InlineData("docs", "docs", false)]
    [InlineData("docs\n!docs/keep.md", "docs", true)]
    [InlineData("docs\n!docs/keep/**", "docs", true)]
    [InlineData("docs\n!docs/keep/**", "docs/other", false)]
    [InlineData("docs\n!other", "docs", false)]
    [InlineData("docs\n!**/*.keep", "docs", true)]
    [InlineData("docs\n!docs/*.md", "docs", true)]
    [InlineData("docs", "src", true)]
    [InlineData("docs", "docs/sub", false)]
    public void Walker_enters_an_excluded_directory_only_if_an_exception_may_match_inside(string ignoreFile, string directory, bool mayInclude)
    {
        Assert.Equal(mayInclude, DockerIgnore.Parse(ignoreFile).MayIncludeUnder(directory));
    }

    [Fact]
    public void Walking_with_parent_results_gives_the_same_verdicts_as_single_path_checks()
    {
        var matcher = DockerIgnore.Parse("*.log\nbuild\n!build/keep\ndocs/*\n!docs/README.md\na/b\n!a");
        string[] tree =
        [
            "app.log", "src", "src/app.log", "src/main.cs", "build", "build/keep", "build/keep/x", "build/out",
            "docs", "docs/README.md", "docs/guide.md", "a", "a/b", "a/b/c", "a/c",
        ];

        var verdicts = new Dictionary<string, IgnoreMatch>();
        foreach (var path in tree)
        {
            var slash = path.LastIndexOf('/');
            var parent = slash < 0 ? null : verdicts[path[..slash]];
            if (parent is { ExcludesEverythingBelow: true })
            {
                verdicts[path] = parent;
                continue;
            }

            verdicts[path] = matcher.Match(path, parent);
        }

        Assert.All(tree, path => Assert.Equal(matcher.IsExcluded(path), verdicts[path].IsExcluded));
        Assert.False(verdicts["build/keep/x"].IsExcluded);
        Assert.True(verdicts["build/out"].IsExcluded);
        Assert.False(verdicts["docs/README.md"].IsExcluded);
        Assert.True(verdicts["docs/guide.md"].IsExcluded);
    }

    [Theory]
    [InlineData("!", "illegal exclusion pattern")]
    [InlineData("foo\n[abc", "syntax error in pattern")]
    [InlineData(@"foo\", "syntax error in pattern")]
    [InlineData("x[a-]", "syntax error in pattern")]
    [InlineData("x[]", "syntax error in pattern")]
    [InlineData("x[z-a]", "syntax error in pattern")]
    public void Malformed_patterns_are_rejected_with_their_line(string ignoreFile, string reason)
    {
        var error = Assert.Throws<DockerIgnoreException>(() => DockerIgnore.Parse(ignoreFile));

        Assert.StartsWith(reason, error.Reason, StringComparison.Ordinal);
        Assert.Equal(ignoreFile.Split('\n').Length, error.Line);
    }

    [Fact]
    public void A_malformed_pattern_names_the_file_and_line_it_came_from()
    {
        var error = Assert.Throws<DockerIgnoreException>(() => DockerIgnore.Parse("# c\n*.md\n\n  src/[a-  \n", "app/.dockerignore"));

        Assert.Equal("app/.dockerignore", error.FileName);
        Assert.Equal(4, error.Line);
        Assert.Equal("src/[a-", error.Pattern);
        Assert.Equal("syntax error in pattern (bad character class)", error.Reason);
        Assert.Equal("app/.dockerignore:4: syntax error in pattern (bad character class): \"src/[a-\"", error.Message);
    }

    [Fact]
    public void Reading_the_pattern_list_rejects_a_malformed_pattern_with_its_place()
    {
        // The list goes to matchers made later (lint's checks), which could no longer say where a pattern was.
        var error = Assert.Throws<DockerIgnoreException>(() => DockerIgnore.ReadPatterns("a\n!\n", ".dockerignore"));

        Assert.Equal(".dockerignore:2: illegal exclusion pattern: \"!\"", error.Message);
    }

    [Fact]
    public void Patterns_without_a_file_name_only_their_line_or_nothing()
    {
        Assert.Equal("line 1: illegal exclusion pattern: \"!\"", Assert.Throws<DockerIgnoreException>(() => DockerIgnore.Parse("!")).Message);
        Assert.Equal("illegal exclusion pattern: \"!\"", Assert.Throws<DockerIgnoreException>(() => DockerIgnoreMatcher.Create(["!"])).Message);
    }

    [Fact]
    public void Patterns_are_read_normalised_with_exceptions_marked()
    {
        var patterns = DockerIgnore.ReadPatterns("# c\n  /foo/  \n\n! ./bar\n!baz/../qux\n**/x/\n");

        Assert.Equal(["foo", "!bar", "!qux", "**/x"], patterns);
    }

    [Fact]
    public void Matcher_from_pattern_list_exposes_cleaned_patterns_and_exceptions()
    {
        var matcher = DockerIgnoreMatcher.Create(["  a/./b/ ", "!c", ""]);

        Assert.Equal(["a/b", "!c"], matcher.Patterns.Select(p => p.ToString()));
        Assert.True(matcher.HasExceptions);
        Assert.False(DockerIgnoreMatcher.Empty.IsExcluded("anything"));
    }

    [Theory]
    [InlineData("Dockerfile", "Dockerfile.dockerignore")]
    [InlineData(null, "Dockerfile.dockerignore")]
    [InlineData("build/app.Dockerfile", "build/app.Dockerfile.dockerignore")]
    [InlineData("./docker//Dockerfile", "docker/Dockerfile.dockerignore")]
    public void Dockerfile_specific_ignore_file_is_tried_before_the_context_one(string? dockerfile, string specific)
    {
        Assert.Equal([specific, ".dockerignore"], DockerIgnore.CandidateFiles(dockerfile));
    }
}
