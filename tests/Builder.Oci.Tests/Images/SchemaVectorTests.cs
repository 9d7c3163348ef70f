using System.Text.Json;

namespace Builder.Oci.Tests.Images;

/// <summary>The 81 upstream vectors: schema documents with the verdict image-spec's own tests expect.</summary>
public sealed class SchemaVectorTests
{
    public sealed record Vector(int Line, string Schema, string Document, bool ExpectValid, string Note, string? BeyondSchema)
    {
        public override string ToString() => $"#{Line} {Schema} {(ExpectValid ? "valid" : "invalid")}: {Note}";
    }

    public static IReadOnlyList<Vector> Vectors { get; } = [.. File.ReadLines(Path.Combine(OciSchemaValidator.SchemaDirectory, "vectors.jsonl"))
        .Select((line, i) =>
        {
            var v = JsonDocument.Parse(line).RootElement;
            return new Vector(
                i + 1,
                v.GetProperty("schema").GetString()!,
                v.GetProperty("document").GetString()!,
                v.GetProperty("expect").GetString() == "valid",
                v.GetProperty("note").GetString() ?? "",
                v.GetProperty("beyond_schema").ValueKind == JsonValueKind.Null ? null : v.GetProperty("beyond_schema").GetString());
        })];

    public static TheoryData<int> VectorLines { get; } = [.. Vectors.Select(v => v.Line)];

    [Theory]
    [MemberData(nameof(VectorLines))]
    public void Each_vector_gets_the_verdict_upstream_expects(int line)
    {
        var vector = Vectors[line - 1];

        var errors = OciSchemaValidator.Instance.Errors(vector.Schema, vector.Document);

        Assert.True(vector.ExpectValid == (errors is null), $"{vector}: got {errors ?? "valid"}");
    }

    [Fact]
    public void All_81_vectors_agree_and_exactly_the_4_marked_beyond_schema_need_more_than_the_schema()
    {
        var agreeing = Vectors.Count(v => v.ExpectValid == (OciSchemaValidator.Instance.Errors(v.Schema, v.Document) is null));
        var schemaAlone = Vectors.Where(v => v.ExpectValid == (OciSchemaValidator.Instance.SchemaErrors(v.Schema, v.Document, assertFormat: false) is null)).ToList();

        Assert.Equal(81, Vectors.Count);
        Assert.Equal(81, agreeing);
        Assert.Equal(77, schemaAlone.Count);
        Assert.Equal(4, Vectors.Count(v => v.BeyondSchema is not null));
        Assert.All(Vectors.Except(schemaAlone), v => Assert.NotNull(v.BeyondSchema));
    }
}
