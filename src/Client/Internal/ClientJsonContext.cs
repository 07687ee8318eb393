using System.Text.Json.Serialization;

namespace Presence.Client.Internal;

/// <summary>Source-generated JSON for the API's documents: no reflection, trimming-safe.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(WireBatch))]
[JsonSerializable(typeof(WireUser))]
[JsonSerializable(typeof(WireTransition))]
[JsonSerializable(typeof(WireProblem))]
[JsonSerializable(typeof(WireCount))]
[JsonSerializable(typeof(WireGroupSize))]
[JsonSerializable(typeof(WireGroupPage))]
[JsonSerializable(typeof(WireGroups))]
[JsonSerializable(typeof(WireMemberEvent))]
[JsonSerializable(typeof(WireGroupChange))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
