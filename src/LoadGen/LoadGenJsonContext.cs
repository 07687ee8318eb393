using System.Text.Json.Serialization;

namespace Presence.LoadGen;

/// <summary>Source-generated JSON for the summary: no reflection at run time.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LoadSummary))]
internal sealed partial class LoadGenJsonContext : JsonSerializerContext;
