namespace Presence.Client;

/// <summary>
/// A watched user went offline. <paramref name="At"/> (Unix ms) is lastSeen + ttl for a timeout,
/// the sign-out record's receive time for a sign-out.
/// </summary>
public sealed record UserOffline(string? EventId, ulong UserId, long At, OfflineReason Reason) : PresenceEvent(EventId);
