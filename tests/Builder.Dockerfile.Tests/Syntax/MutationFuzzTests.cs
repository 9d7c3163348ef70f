using System.Text;
using Builder.Dockerfile.Binding;
using Builder.Dockerfile.Graph;
using Builder.Dockerfile.Syntax;

namespace Builder.Dockerfile.Tests.Syntax;

/// <summary>
/// Mutated corpus Dockerfiles: parsing, binding and graphing either succeed or fail with a located
/// Dockerfile error, never with any other exception.
/// </summary>
public sealed class MutationFuzzTests
{
    private const int Iterations = 10_000;

    private static readonly string[] Fragments =
    [
        "\\", "`", "\"", "'", "[", "]", "{", "}", "<<", "<<-", "$", "${", "${A:-", "\n", "\r\n", "#", "=", "--", "-",
        "\t", " ", "\\\n", "[\"a\", ", "EOF", "FROM ", "RUN ", "COPY --from=", "ONBUILD ", "HEALTHCHECK ", "ENV ",
        "ARG ", "AS ", "--mount=type=", "# escape=`\n", "# syntax=x\n", "\u00a0", "\u2028", "ü", "\0", ",", ":", "0",
    ];

    [Fact]
    public void Mutated_dockerfiles_only_ever_fail_with_located_errors()
    {
        var corpus = Directory.GetDirectories(TestData.BuildKit("testfiles"))
            .Select(d => File.ReadAllText(Path.Combine(d, "Dockerfile")))
            .Append(TestData.Read("heredoc", "extracts-heredoc", "Dockerfile"))
            .ToArray();
        var random = new Random(20261128);
        var failures = new List<string>();
        var outcomes = new int[3]; // built a graph, located error, parse error

        for (var i = 0; i < Iterations && failures.Count < 5; i++)
        {
            var text = Mutate(corpus[random.Next(corpus.Length)], corpus, random);
            try
            {
                outcomes[Exercise(text)]++;
            }
            catch (Exception e)
            {
                failures.Add($"{e.GetType().Name}: {e.Message}\n--- input ---\n{text}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
        Assert.Equal(Iterations, outcomes.Sum());
        Assert.All(outcomes, count => Assert.True(count > 100, $"outcomes too one-sided: {string.Join(",", outcomes)}"));
    }

    private static int Exercise(string text)
    {
        var syntax = DockerfileParser.Parse(text);
        if (syntax.HasErrors)
        {
            Assert.All(syntax.Errors, e => Assert.True(e.Span.Start.Line >= 1 && e.Span.Start.Column >= 1, $"unlocated: {e.Message}"));
            return 2;
        }
        try
        {
            StageGraph.Build(Binder.Bind(syntax));
            return 0;
        }
        catch (DockerfileException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Reason));
            if (e.Span is { } span)
            {
                Assert.True(span.Start.Line >= 1 && span.Start.Column >= 1, e.Message);
            }
            return 1;
        }
    }

    private static string Mutate(string text, string[] corpus, Random random)
    {
        var sb = new StringBuilder(text);
        var edits = 1 + random.Next(4);
        for (var e = 0; e < edits; e++)
        {
            var at = sb.Length == 0 ? 0 : random.Next(sb.Length);
            switch (random.Next(5))
            {
                case 0:
                    sb.Insert(at, Fragments[random.Next(Fragments.Length)]);
                    break;
                case 1 when sb.Length > 0:
                    sb.Remove(at, Math.Min(sb.Length - at, 1 + random.Next(8)));
                    break;
                case 2 when sb.Length > 0:
                    sb[at] = (char)random.Next(0x20, 0x7f);
                    break;
                case 3:
                    var donor = corpus[random.Next(corpus.Length)].Split('\n');
                    sb.Insert(at, donor[random.Next(donor.Length)] + "\n");
                    break;
                default:
                    var lines = sb.ToString().Split('\n').ToList();
                    var line = random.Next(lines.Count);
                    lines.Insert(random.Next(lines.Count), lines[line]);
                    sb.Clear().Append(string.Join('\n', lines));
                    break;
            }
        }
        return sb.ToString();
    }

    [Fact]
    public void Deeply_nested_json_falls_back_to_shell_form_without_exhausting_the_stack()
    {
        var syntax = DockerfileParser.Parse("FROM a\nCMD " + new string('[', 60_000) + "\n");

        Assert.False(syntax.HasErrors);
        Assert.False(syntax.Instructions[1].IsJsonForm);
    }
}
