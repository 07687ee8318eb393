namespace Presence.Client;

/// <summary>
/// <c>GET /v1/presence/count</c>: the users online now, exact as of the events log's position.
/// </summary>
/// <param name="Online">Users online.</param>
/// <param name="AtMs">The <c>at</c> of the newest transition counted (the log's clock): two answers with the same <c>AtMs</c> count the same users; 0 when none was counted yet.</param>
public readonly record struct OnlineCount(long Online, long AtMs);
