namespace Presence.Client;

/// <summary>Why a user, or a group, went offline.</summary>
public enum OfflineReason
{
    /// <summary>No heartbeat for the ttl.</summary>
    Timeout,

    /// <summary>The device sent a sign-out record.</summary>
    SignOut,

    /// <summary>
    /// A group only (<see cref="GroupOffline"/>): a membership change left it without an online member. Never the
    /// reason of a user's or a member's offline.
    /// </summary>
    Membership,
}
