namespace Presence.Client;

/// <summary>One user's presence as the service answers it.</summary>
/// <param name="LastSeenMs">Unix milliseconds at which the ingester received the latest heartbeat; null while offline.</param>
public readonly record struct UserPresence(ulong Id, bool Online, long? LastSeenMs);
