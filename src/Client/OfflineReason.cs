namespace Presence.Client;

/// <summary>Why a user went offline.</summary>
public enum OfflineReason
{
    /// <summary>No heartbeat for the ttl.</summary>
    Timeout,

    /// <summary>The device sent a sign-out record.</summary>
    SignOut,
}
