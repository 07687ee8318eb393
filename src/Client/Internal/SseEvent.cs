namespace Presence.Client.Internal;

/// <summary>One dispatched Server-Sent Event: its type (<c>message</c> when none was given), data, and the last event id so far.</summary>
internal readonly record struct SseEvent(string Type, string Data, string? LastEventId);
