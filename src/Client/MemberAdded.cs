namespace Presence.Client;

/// <summary>
/// An id became a member of the watched group while the stream was open, with its state at that point of the
/// stream (as a batch entry); an online one counts as a <see cref="MemberOnline"/> for what follows. The events of
/// one membership change come together, its removals first, then its additions, each ascending by id; only the last
/// has an id of its own (the others' <see cref="GroupEvent.EventId"/> is the one before the change).
/// </summary>
/// <param name="UserId">The new member.</param>
/// <param name="Online">Whether it is online.</param>
/// <param name="LastSeenMs">Online: its last heartbeat's receive time (Unix ms); offline: its last seen, or null (as <see cref="UserPresence.LastSeenMs"/>).</param>
/// <param name="Members">The group's members after it.</param>
/// <param name="Count">The group's members online after it.</param>
public sealed record MemberAdded(string? EventId, ulong UserId, bool Online, long? LastSeenMs, long Members, long Count) : GroupEvent(EventId);
