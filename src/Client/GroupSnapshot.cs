namespace Presence.Client;

/// <summary>
/// A group's state: first on its stream, and again when a resume could not be served, when the store lost its
/// events log, and, in a debounced stream, after every membership change (or in a plain one, a change of more
/// than 1,000 members). Replace everything held for the group with it.
/// </summary>
/// <param name="Name">The group.</param>
/// <param name="Members">How many members it has; 0 for a group with none (its stream is open all the same).</param>
/// <param name="Online">How many members are online: <paramref name="Users"/>' count.</param>
/// <param name="Users">The online members only, ascending by id, each with its last heartbeat's receive time as <see cref="UserPresence.LastSeenMs"/>.</param>
public sealed record GroupSnapshot(string? EventId, string Name, long Members, long Online, IReadOnlyList<UserPresence> Users)
    : GroupEvent(EventId);
