namespace Presence.Client;

/// <summary>A watched group that was online is offline: its last online member went offline, or a membership change left it without one.</summary>
/// <param name="Name">The group.</param>
/// <param name="At">Unix ms: that member's <see cref="UserOffline.At"/>, or when the service applied the membership change.</param>
/// <param name="Reason">The member's <see cref="OfflineReason.Timeout"/> or <see cref="OfflineReason.SignOut"/>, or <see cref="OfflineReason.Membership"/>.</param>
public sealed record GroupOffline(string? EventId, string Name, long At, OfflineReason Reason) : GroupsEvent(EventId);
