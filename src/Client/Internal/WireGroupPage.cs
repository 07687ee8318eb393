namespace Presence.Client.Internal;

/// <summary><c>GET /v1/groups/{name}/presence</c>'s answer as sent.</summary>
internal sealed record WireGroupPage(string? Name, long? Members, long? Online, List<WireUser>? Users, string? Next);
