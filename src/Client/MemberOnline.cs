namespace Presence.Client;

/// <summary>A member of the watched group came online.</summary>
/// <param name="UserId">The member.</param>
/// <param name="At">The receive time (Unix ms) of the heartbeat that began it, as in <see cref="UserOnline.At"/>.</param>
/// <param name="Count">The group's members online after it.</param>
public sealed record MemberOnline(string? EventId, ulong UserId, long At, long Count) : GroupEvent(EventId);
