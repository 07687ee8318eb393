namespace Presence.Client;

/// <summary>The state of every watched user: first on a stream, and again when a resume could not be served.</summary>
public sealed record PresenceSnapshot(string? EventId, IReadOnlyList<UserPresence> Users, int Online) : PresenceEvent(EventId);
