namespace Presence.Client.Internal;

/// <summary><c>POST /v1/groups/presence</c>'s answer as sent.</summary>
internal sealed record WireGroups(List<WireGroup>? Groups, long? Online);
