using System.Text.Json.Serialization;
using Builder.Dockerfile.Syntax;

namespace Builder.Cli;

/// <summary>Source-generated JSON for what the CLI prints.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DockerfileSyntax))]
internal sealed partial class CliJson : JsonSerializerContext;
