namespace Presence.Client;

/// <summary>
/// One group's aggregate presence, as <c>POST /v1/groups/presence</c> answers it (docs/HTTP-API.md,
/// "Groups"): for a user with several devices, the user's presence.
/// </summary>
/// <param name="Name">The group.</param>
/// <param name="Online">Whether any member is online.</param>
/// <param name="OnlineMembers">How many members are online.</param>
/// <param name="Members">How many members it has; 0 for a group with none (never written, deleted, emptied).</param>
/// <param name="LastSeenMs">
/// The latest of its members' values: an online member's last heartbeat (receive time, Unix ms), an
/// offline member's last seen; null when none is known (and for a group with no members).
/// </param>
public readonly record struct GroupPresence(string Name, bool Online, long OnlineMembers, long Members, long? LastSeenMs);
