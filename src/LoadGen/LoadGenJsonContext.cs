using System.Text.Json.Serialization;
using Presence.LoadGen.Internal;

namespace Presence.LoadGen;

/// <summary>Source-generated JSON for the summary and the query API's answers: no reflection at run time.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LoadSummary))]
[JsonSerializable(typeof(QueryResponse))]
internal sealed partial class LoadGenJsonContext : JsonSerializerContext;
