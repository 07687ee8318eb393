namespace Presence.Client;

/// <summary>
/// The watched groups' state: first on the stream, and again when a resume could not be served (e.g. any watched
/// group's membership changed since the event resumed from), and in a debounced stream after a membership change.
/// Replace everything held for the groups with it.
/// </summary>
/// <param name="Groups">One entry per distinct name, in the order asked, as <see cref="PresenceClient.GetGroupsPresenceAsync"/> answers it.</param>
/// <param name="Online">How many of them are online.</param>
public sealed record GroupsSnapshot(string? EventId, IReadOnlyList<GroupPresence> Groups, long Online) : GroupsEvent(EventId);
