namespace Presence.Client;

/// <summary>
/// A member left the watched group: its events stop (no <see cref="MemberOffline"/> is sent for it, online or not).
/// </summary>
/// <param name="UserId">The former member.</param>
/// <param name="Members">The group's members after it (0: the group has none left; its stream stays open).</param>
/// <param name="Count">The group's members online after it.</param>
public sealed record MemberRemoved(string? EventId, ulong UserId, long Members, long Count) : GroupEvent(EventId);
