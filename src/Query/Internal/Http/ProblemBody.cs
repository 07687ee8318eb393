using System.Text.Json.Serialization;

namespace Presence.Query.Internal.Http;

/// <summary>An RFC 9457 problem document. <see cref="Id"/> names the offending id of a "bad-id" problem.</summary>
internal sealed record ProblemBody(string Type, string Title, int Status, string Detail)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Id { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Index { get; init; }
}
