namespace Presence.Query.Internal.Store;

/// <summary>How a store call ended. Every status but <see cref="Ok"/> is answered 503.</summary>
internal enum StoreStatus
{
    Ok,
    /// <summary>No connection to the store (down, unreachable, refused).</summary>
    Unavailable,
    /// <summary>The store did not answer within the store timeout (slow or paused).</summary>
    TimedOut,
    /// <summary>The store answered with an error.</summary>
    Failed,
}
