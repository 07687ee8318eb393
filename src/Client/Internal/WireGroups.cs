namespace Presence.Client.Internal;

/// <summary><c>POST /v1/groups/presence</c>'s answer as sent, and the data of the many-groups stream's <c>snapshot</c>.</summary>
internal sealed record WireGroups(List<WireGroup>? Groups, long? Online);
