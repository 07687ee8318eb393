namespace Presence.Client.Internal;

/// <summary>One entry of <c>POST /v1/groups/presence</c>'s answer.</summary>
internal sealed record WireGroup(string? Name, bool? Online, long? OnlineMembers, long? Members, long? LastSeenMs);
