using System.Text.Json;

namespace Presence.Integration.Tests.Events;

/// <summary>One Server-Sent Event as a client sees it; <see cref="Type"/> "comment" for a comment line.</summary>
internal sealed record SseEvent(string Type, string? Id, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement.Clone();

    /// <summary>The user id of an online/offline event.</summary>
    public ulong User => ulong.Parse(Json.GetProperty("id").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    public long At => Json.GetProperty("at").GetInt64();

    public string? Reason => Json.TryGetProperty("reason", out var r) ? r.GetString() : null;

    public override string ToString() => $"{Type} id={Id} {Data}";
}
