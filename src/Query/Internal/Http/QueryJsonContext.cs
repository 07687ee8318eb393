using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Presence.Query.Internal.Http;

/// <summary>Source-generated serialization: no reflection when a problem is written.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ProblemBody))]
internal sealed partial class QueryJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Problems are read by people too: quotes and '…' stay as written instead of \u escapes.
    /// Safe here: the documents are served as application/problem+json, never inlined into HTML.
    /// </summary>
    public static QueryJsonContext Relaxed { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
