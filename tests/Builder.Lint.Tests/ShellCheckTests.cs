using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Builder.Lint.Formatters;
using Builder.Lint.ShellCheck;

namespace Builder.Lint.Tests;

/// <summary>
/// SC findings on RUN scripts, as hadolint reports them. Each case in TestData/shellcheck is a Dockerfile (official
/// images' and popular projects' RUNs among them) with its scripts written out by hand in hadolint's form: a shebang
/// naming the stage's shell, an export for each ARG/ENV name in scope and the proxy variables, then the command. The
/// codes and lines `shellcheck` reports on those must be exactly the SC findings `builder lint` gives, and the DL
/// findings must be what they are without ShellCheck. Needs shellcheck (scripts/install-deps.sh installs it).
/// </summary>
public sealed partial class ShellCheckTests
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "TestData", "shellcheck");

    private static readonly string[] ProxyVariables =
        ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy"];

    private static readonly ShellChecker Checker = ShellChecker.Resolve("auto", Environment.GetEnvironmentVariable)
        ?? throw new InvalidOperationException("shellcheck is not on PATH: run scripts/install-deps.sh");

    public static TheoryData<string> Cases => [.. Directory.GetFiles(Data, "*.Dockerfile").Select(f => Path.GetFileName(f)[..^".Dockerfile".Length]).Order(StringComparer.Ordinal)];

    private static IReadOnlyList<LintFinding> Lint(string dockerfile, ShellChecker? checker, LintConfig? config = null) =>
        DockerfileLinter.Lint(dockerfile, "Dockerfile", config ?? LintConfig.Default, new LintInputs(null, null, "linux/amd64") { ShellCheck = checker });

    [Fact]
    public void There_are_at_least_25_cases() => Assert.True(Cases.Count >= 25, $"{Cases.Count} cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public void SC_findings_are_what_shellcheck_reports_on_the_hand_made_hadolint_script_and_DL_findings_are_unchanged(string name)
    {
        var dockerfile = File.ReadAllText(Path.Combine(Data, name + ".Dockerfile"));
        var expected = HandMadeScripts(File.ReadAllText(Path.Combine(Data, name + ".scripts")))
            .SelectMany(script => RunShellCheck(script.Text).Select(c => ($"SC{c.Code}", script.Line(c.Line))))
            .Distinct().Order().ToList();

        var findings = Lint(dockerfile, Checker);

        Assert.Equal(expected, findings.Where(f => f.RuleId.StartsWith("SC", StringComparison.Ordinal)).Select(f => (f.RuleId, f.Line)).Distinct().Order().ToList());
        Assert.Equal(Lint(dockerfile, null), findings.Where(f => !f.RuleId.StartsWith("SC", StringComparison.Ordinal)).ToList());
    }

    [Fact]
    public void A_heredoc_bodys_findings_are_on_its_own_lines()
    {
        var findings = Lint(File.ReadAllText(Path.Combine(Data, "12-heredoc-script.Dockerfile")), Checker);

        // Iterating over ls and the unquoted $f (line 7), and the next RUN's "echo done" at its own line (9). No SC2164
        // for "cd /opt" after "set -e", and none for $VERSION, an ARG (exported as a constant).
        Assert.Equal(["SC2045@7", "SC2086@7", "SC1010@9"],
            findings.Where(f => f.RuleId.StartsWith("SC", StringComparison.Ordinal)).Select(f => $"{f.RuleId}@{f.Line}"));
    }

    [Fact]
    public void A_pwsh_stage_and_an_exec_form_RUN_are_not_checked()
    {
        var findings = Lint("FROM mcr.microsoft.com/powershell:lts\nSHELL [\"pwsh\", \"-Command\"]\nRUN echo $(ls)\nFROM debian:12\nRUN [\"sh\", \"-c\", \"echo $(ls)\"]\n", Checker);

        Assert.DoesNotContain(findings, f => f.RuleId.StartsWith("SC", StringComparison.Ordinal));
    }

    [Fact]
    public void SC_codes_obey_inline_global_and_stage_pragmas_and_a_heredoc_body_is_part_of_its_RUN()
    {
        const string dockerfile = """
            # hadolint global ignore=SC2046
            FROM debian:12 AS a
            # hadolint ignore=SC2086
            RUN echo $(ls) $HOME
            # hadolint ignore=SC2164
            RUN <<EOF
            cd /tmp
            EOF
            RUN echo $HOME
            # hadolint stage ignore=SC2086
            FROM debian:12
            RUN echo $HOME
            """;

        var findings = Lint(dockerfile, Checker);

        Assert.Equal(["SC2086@9"], findings.Where(f => f.RuleId.StartsWith("SC", StringComparison.Ordinal)).Select(f => $"{f.RuleId}@{f.Line}"));
    }

    [Fact]
    public void The_config_ignores_and_overrides_SC_codes()
    {
        var config = LintConfig.Parse("""
            ignored: [SC2046]
            override:
              error: [SC2086]
            """);

        var findings = Lint("FROM debian:12\nRUN echo $(ls) $HOME\n", Checker, config);

        Assert.Equal([("SC2086", Severity.Error)], findings.Where(f => f.RuleId.StartsWith("SC", StringComparison.Ordinal)).Select(f => (f.RuleId, f.Severity)));
    }

    [Theory]
    [InlineData("json")]
    [InlineData("sarif")]
    [InlineData("checkstyle")]
    [InlineData("gnu")]
    [InlineData("tty")]
    public void Every_format_carries_SC_findings(string format)
    {
        var findings = Lint("FROM debian:12\nRUN echo $HOME\n", Checker);

        var text = LintFormatter.Format(format, [("Dockerfile", findings)], color: false);

        Assert.Contains("SC2086", text, StringComparison.Ordinal);
        if (format == "sarif")
        {
            Assert.Contains("https://www.shellcheck.net/wiki/SC2086", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_SC_code_is_a_rule_for_explain_with_its_message_and_where_to_read_more()
    {
        var rule = DockerfileLinter.Rule("SC2086")!;

        Assert.Equal("Double quote to prevent globbing and word splitting.", rule.Title);
        Assert.Equal("https://www.shellcheck.net/wiki/SC2086", rule.DocsUri);
        Assert.Contains("shellcheck --help", rule.Rationale, StringComparison.Ordinal);
        Assert.Null(DockerfileLinter.Rule("SCX"));
    }

    [Fact]
    public void Many_Dockerfiles_scripts_are_checked_once_each()
    {
        var checker = new ShellChecker(Checker.Executable);
        var scripts = Enumerable.Range(0, 50).Select(i => $"#!/bin/sh\necho \"$v{i % 5}\"\n").ToList();

        checker.Prefetch(scripts);

        Assert.All(scripts, s => Assert.Equal(2154, Assert.Single(checker.Check(s)).Code));
    }

    [Fact]
    public void A_shellcheck_that_fails_is_an_error_naming_it_and_its_exit_code()
    {
        var fake = Path.Combine(Directory.CreateTempSubdirectory("fake-shellcheck-").FullName, "shellcheck");
        File.WriteAllText(fake, "#!/bin/sh\necho 'broken install' >&2\nexit 3\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        var error = Assert.Throws<IOException>(() => Lint("FROM debian:12\nRUN echo $HOME\n", new ShellChecker(fake)));

        Assert.Equal($"{fake} failed with exit code 3: broken install", error.Message);
    }

    // The hand-made scripts: "# line N [body M] [shell: S | shebang: S] [vars: A B]" then the command or body.
    private static IEnumerable<HandMadeScript> HandMadeScripts(string text)
    {
        HandMadeScript? current = null;
        var body = new StringBuilder();
        foreach (var line in text.Split('\n'))
        {
            if (Header().Match(line) is { Success: true } header)
            {
                if (current is not null)
                {
                    yield return current with { Text = current.Text + body };
                }
                var shebang = header.Groups[4].Success ? header.Groups[4].Value : "/bin/sh";
                var names = ProxyVariables.Concat(header.Groups[5].Success ? header.Groups[5].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [])
                    .Order(StringComparer.Ordinal).ToList();
                var prefix = $"#!{shebang}\n" + string.Concat(names.Select(n => $"export {n}=1\n"));
                current = new HandMadeScript(prefix, int.Parse(header.Groups[1].Value), header.Groups[2].Success ? int.Parse(header.Groups[2].Value) : null, 1 + names.Count);
                body.Clear();
                continue;
            }
            body.Append(line).Append('\n');
        }
        if (current is not null)
        {
            yield return current with { Text = current.Text + body.ToString().TrimEnd('\n') + "\n" };
        }
    }

    private sealed record HandMadeScript(string Text, int RunLine, int? BodyLine, int HeaderLines)
    {
        public int Line(int scriptLine) => BodyLine is { } first && scriptLine > HeaderLines ? first + scriptLine - HeaderLines - 1 : RunLine;
    }

    private static List<(int Line, int Code)> RunShellCheck(string script)
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, script);
            var start = new ProcessStartInfo(Checker.Executable) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in (string[])["--norc", "-f", "json1", "-S", "style", "-e", "SC2187,SC1090,SC1091", file])
            {
                start.ArgumentList.Add(a);
            }
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            using var json = JsonDocument.Parse(output);
            return [.. json.RootElement.GetProperty("comments").EnumerateArray().Select(c => (c.GetProperty("line").GetInt32(), c.GetProperty("code").GetInt32()))];
        }
        finally
        {
            File.Delete(file);
        }
    }

    [GeneratedRegex(@"^# line (\d+)(?: body (\d+))?(?: (shell|shebang): (.+?))?(?: vars: (.+))?$")]
    private static partial Regex Header();
}
