namespace Presence.Client;

/// <summary>A watched user came online; <paramref name="At"/> is the receive time (Unix ms) of the heartbeat that began it.</summary>
public sealed record UserOnline(string? EventId, ulong UserId, long At) : PresenceEvent(EventId);
