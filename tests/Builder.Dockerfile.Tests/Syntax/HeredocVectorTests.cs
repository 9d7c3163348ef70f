using System.Text.Json;
using Builder.Dockerfile.Syntax;

namespace Builder.Dockerfile.Tests.Syntax;

/// <summary>BuildKit's heredoc parser vectors (heredoc/ in the test data).</summary>
public sealed class HeredocVectorTests
{
    private static readonly JsonElement Helpers = JsonDocument.Parse(TestData.Read("heredoc", "helpers.json")).RootElement;

    [Theory]
    [InlineData("extracts-heredoc")]
    [InlineData("json-form-no-heredoc")]
    public void Instructions_carry_the_heredocs_buildkit_extracts(string name)
    {
        var syntax = DockerfileParser.Parse(TestData.Read("heredoc", name, "Dockerfile"));
        var expected = JsonDocument.Parse(TestData.Read("heredoc", name, "expected.json")).RootElement;

        Assert.Empty(syntax.Errors);
        foreach (var child in expected.GetProperty("children").EnumerateArray())
        {
            var instruction = syntax.Instructions[child.GetProperty("child").GetInt32()];
            var heredocs = child.GetProperty("heredocs");
            if (heredocs.ValueKind == JsonValueKind.Null)
            {
                Assert.Empty(instruction.Heredocs);
                continue;
            }
            var actual = instruction.Heredocs.Select(h => (h.Name, h.FileDescriptor, h.Expand, h.Chomp, h.Content));
            var wanted = heredocs.EnumerateArray().Select(h => (
                h.GetProperty("Name").GetString()!,
                h.GetProperty("FileDescriptor").GetInt32(),
                h.GetProperty("Expand").GetBoolean(),
                h.GetProperty("Chomp").GetBoolean(),
                h.GetProperty("Content").GetString()!));
            Assert.Equal(wanted, actual);
        }
    }

    public static TheoryData<string> ValidMarkers() =>
        new(Helpers.GetProperty("valid_name_EOF").EnumerateArray().Select(e => e.GetString()!));

    [Theory]
    [MemberData(nameof(ValidMarkers))]
    public void Marker_names_the_terminator(string word)
    {
        Assert.Equal("EOF", HeredocMarker.Parse(word)?.Name);
    }

    public static TheoryData<string> BadMarkers() =>
        new(Helpers.GetProperty("error").EnumerateArray().Select(e => e.GetString()!));

    [Theory]
    [MemberData(nameof(BadMarkers))]
    public void Marker_with_unbalanced_quotes_is_an_error(string word)
    {
        Assert.ThrowsAny<Exception>(() => HeredocMarker.Parse(word));
    }

    public static TheoryData<string> NotMarkers() =>
        new(Helpers.GetProperty("not_a_heredoc").EnumerateArray().Select(e => e.GetString()!));

    [Theory]
    [MemberData(nameof(NotMarkers))]
    public void Word_that_is_not_a_marker(string word)
    {
        Assert.Null(HeredocMarker.Parse(word));
    }

    public static TheoryData<string, string[]> LineCases()
    {
        var data = new TheoryData<string, string[]>();
        foreach (var c in Helpers.GetProperty("heredocs_from_line").GetProperty("cases").EnumerateArray())
        {
            var names = c.GetProperty("heredocNames");
            data.Add(c.GetProperty("line").GetString()!,
                names.ValueKind == JsonValueKind.Null ? [] : names.EnumerateArray().Select(n => n.GetString()!).ToArray());
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(LineCases))]
    public void Markers_are_found_in_a_whole_line(string line, string[] names)
    {
        Assert.Equal(names, HeredocMarker.FindInLine(line).Select(m => m.Name));
    }

    [Fact]
    public void Chomp_strips_leading_tabs_of_every_line()
    {
        var chomp = Helpers.GetProperty("chomp");

        Assert.Equal(chomp.GetProperty("output").GetString(), HeredocMarker.StripLeadingTabs(chomp.GetProperty("input").GetString()!));
    }
}
