namespace Presence.Client;

/// <summary>
/// One event of a group's stream (<see cref="PresenceClient.WatchGroupAsync"/>, docs/HTTP-API.md, "group streams"):
/// <see cref="GroupSnapshot"/>, <see cref="MemberOnline"/>, <see cref="MemberOffline"/>, <see cref="MemberAdded"/> or
/// <see cref="MemberRemoved"/>. <see cref="EventId"/> is what to pass back to resume after it.
/// </summary>
/// <param name="EventId">The event's id (opaque), or the last one before it when it has none.</param>
public abstract record GroupEvent(string? EventId);
