namespace Presence.Client.Internal;

/// <summary>
/// <c>GET /v1/groups/{name}/presence</c>'s answer as sent, and the data of a group stream's <c>snapshot</c> (the same
/// fields but <c>next</c>: online members only, all of them).
/// </summary>
internal sealed record WireGroupPage(string? Name, long? Members, long? Online, List<WireUser>? Users, string? Next);
