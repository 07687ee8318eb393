namespace Presence.Client;

/// <summary>One user's presence as the service answers it.</summary>
/// <param name="LastSeenMs">
/// Online: Unix milliseconds at which the ingester received the latest heartbeat. Offline: the user's
/// last seen (a whole second) when the service keeps one (docs/HTTP-API.md, "Last seen"), else null.
/// </param>
public readonly record struct UserPresence(ulong Id, bool Online, long? LastSeenMs);
