using System.Text.Json.Serialization;
using Builder.Engine.Context;

namespace Builder.Engine;

[JsonSerializable(typeof(Dictionary<string, StatCacheEntry>))]
internal sealed partial class EngineJsonContext : JsonSerializerContext;
