namespace Presence.Client;

/// <summary>
/// One event of the presence events stream: <see cref="PresenceSnapshot"/>, <see cref="UserOnline"/>
/// or <see cref="UserOffline"/>. <see cref="EventId"/> is what to pass back to resume after it.
/// </summary>
public abstract record PresenceEvent(string? EventId);
