namespace Presence.Ingest.Internal.Transitions;

/// <summary>
/// A user's transitions that found the events log queue full (<see cref="EventLogAppender"/>):
/// the first, and the latest since, if any. Appended in that order once the queue has room: the
/// log then ends on the user's latest state, and shows where the held changes began.
/// </summary>
/// <remarks>
/// 16 bytes, each transition as its packed long (<see cref="PresenceTransition.Packed"/>: time, kind and
/// whether it is a possible online), since up to <see cref="EventLogAppender.HeldCapacity"/> users are held: with
/// the dictionary's entry and bucket, the hold order and their growth, 60.5 bytes a user measured at
/// 2M held (95.3 with the 40-byte struct of two kinds, two times and a flag it replaced).
/// </remarks>
internal readonly record struct HeldTransitions(long FirstPacked, long LastPacked)
{
    public static HeldTransitions Of(PresenceTransition first) => new(first.Packed, 0);

    public bool HasLast => LastPacked != 0;

    /// <summary>A later transition of the user becomes the latest; one it replaces is dropped (returns true).</summary>
    public HeldTransitions Then(PresenceTransition later, out bool replaced)
    {
        replaced = HasLast;
        return this with { LastPacked = later.Packed };
    }

    public PresenceTransition First(ulong userId) => PresenceTransition.Unpack(userId, FirstPacked);

    public PresenceTransition Last(ulong userId) => PresenceTransition.Unpack(userId, LastPacked);
}
