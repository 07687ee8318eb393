namespace Presence.Client.Internal;

/// <summary><c>GET /v1/presence/count</c>'s answer as sent.</summary>
internal sealed record WireCount(long? Online, long? At);
