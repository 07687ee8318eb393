namespace Presence.Ingest.Internal.Flush;

/// <summary>What the store answered to one command of a flush.</summary>
internal enum WriteOutcome : byte
{
    /// <summary>Not confirmed (refused, timed out, or not issued because the store is away): the user stays pending.</summary>
    Failed,

    /// <summary>SET confirmed; the key existed before it (the online period goes on).</summary>
    Refreshed,

    /// <summary>SET confirmed; there was no key before it, so an online period begins.</summary>
    Created,

    /// <summary>DEL confirmed and removed a key: the user signed out while online.</summary>
    Deleted,

    /// <summary>DEL confirmed; there was no key (the user was already offline).</summary>
    Absent,

    /// <summary>
    /// A refresh (<c>SET … XX</c>) found no key, so wrote nothing: the key this ingester wrote
    /// lapsed (or was removed) before the refresh arrived. Not a failure: the user stays pending
    /// and is written at once with <c>SET … GET</c>, whose answer begins its new online period.
    /// </summary>
    Missing,

    /// <summary>
    /// SET confirmed; the old value equals the one written: an earlier attempt of this very write
    /// whose answer was lost landed, so whether that attempt began an online period, or found
    /// the key this ingester wrote before still there, is unknown. Taken as a possible start (the
    /// events log keeps each user's state, so a second "online" for a user it already has online
    /// is dropped there), but never as proof that the key lapsed.
    /// </summary>
    Landed,
}
