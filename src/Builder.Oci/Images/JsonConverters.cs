using System.Text.Json;
using System.Text.Json.Serialization;

namespace Builder.Oci.Images;

/// <summary>
/// A string map written with its keys in ordinal order, as Go's encoding/json writes maps, so that the same labels
/// or annotations always give the same bytes (and digest) whatever order they were added in.
/// </summary>
internal sealed class SortedStringMapConverter : JsonConverter<IReadOnlyDictionary<string, string>>
{
    public override IReadOnlyDictionary<string, string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("expected an object of strings");
        }
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var key = reader.GetString()!;
            reader.Read();
            map[key] = reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new JsonException($"value of \"{key}\" must be a string");
        }
        return map;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (key, item) in value.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.WriteString(key, item);
        }
        writer.WriteEndObject();
    }
}

/// <summary>Go's <c>map[string]struct{}</c> (ExposedPorts, Volumes): <c>{"80/tcp":{}}</c> as a list of keys.</summary>
internal sealed class StringSetObjectConverter : JsonConverter<IReadOnlyList<string>>
{
    public override IReadOnlyList<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("expected an object whose keys are the set's members");
        }
        var keys = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            keys.Add(reader.GetString()!);
            reader.Read();
            reader.Skip();
        }
        return keys;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<string> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var key in value.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            writer.WritePropertyName(key);
            writer.WriteStartObject();
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }
}

/// <summary>A Go <c>time.Duration</c>: an integer number of nanoseconds.</summary>
internal sealed class NanosecondsConverter : JsonConverter<TimeSpan?>
{
    public override TimeSpan? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? null : TimeSpan.FromTicks(reader.GetInt64() / 100);

    public override void Write(Utf8JsonWriter writer, TimeSpan? value, JsonSerializerOptions options)
    {
        if (value is { } duration)
        {
            writer.WriteNumberValue(duration.Ticks * 100);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
