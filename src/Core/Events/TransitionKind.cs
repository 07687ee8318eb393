namespace Presence.Core.Events;

/// <summary>A change of a user's presence, as the events log records it.</summary>
public enum TransitionKind : byte
{
    /// <summary>An online period began: the key was created (SET found none).</summary>
    Online,

    /// <summary>The key expired: the user sent nothing for ttl (<c>at</c> = last seen + ttl).</summary>
    Timeout,

    /// <summary>A sign-out record deleted the key (<c>at</c> = its receive time).</summary>
    Signout,
}
