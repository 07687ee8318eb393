namespace Presence.Client;

/// <summary>A member of the watched group went offline.</summary>
/// <param name="UserId">The member.</param>
/// <param name="At">Unix ms, as in <see cref="UserOffline.At"/>: lastSeen + ttl for a timeout, the sign-out record's receive time for a sign-out.</param>
/// <param name="Reason"><see cref="OfflineReason.Timeout"/> or <see cref="OfflineReason.SignOut"/>.</param>
/// <param name="Count">The group's members online after it.</param>
public sealed record MemberOffline(string? EventId, ulong UserId, long At, OfflineReason Reason, long Count) : GroupEvent(EventId);
