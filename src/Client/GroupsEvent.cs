namespace Presence.Client;

/// <summary>
/// One event of the many-groups stream (<see cref="PresenceClient.WatchGroupsAsync"/>, docs/HTTP-API.md, "group streams"):
/// <see cref="GroupsSnapshot"/>, <see cref="GroupOnline"/> or <see cref="GroupOffline"/>. <see cref="EventId"/> is what
/// to pass back to resume after it.
/// </summary>
/// <param name="EventId">The event's id (opaque), or the last one before it when it has none.</param>
public abstract record GroupsEvent(string? EventId);
