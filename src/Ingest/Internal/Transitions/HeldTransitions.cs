using Presence.Core.Events;

namespace Presence.Ingest.Internal.Transitions;

/// <summary>
/// A user's transitions that found the events log queue full (<see cref="EventLogAppender"/>):
/// the first, and the latest since, if any. Appended in that order once the queue has room: the
/// log then ends on the user's latest state, and shows where the held changes began.
/// </summary>
/// <remarks>24 bytes: up to <see cref="EventLogAppender.HeldCapacity"/> users are held.</remarks>
internal readonly record struct HeldTransitions(TransitionKind FirstKind, long FirstAtMs, TransitionKind LastKind, long LastAtMs, bool HasLast)
{
    public static HeldTransitions Of(PresenceTransition first) => new(first.Kind, first.AtMs, default, 0, false);

    /// <summary>A later transition of the user becomes the latest; one it replaces is dropped (returns true).</summary>
    public HeldTransitions Then(PresenceTransition later, out bool replaced)
    {
        replaced = HasLast;
        return this with { LastKind = later.Kind, LastAtMs = later.AtMs, HasLast = true };
    }

    public PresenceTransition First(ulong userId) => new(userId, FirstKind, FirstAtMs);

    public PresenceTransition Last(ulong userId) => new(userId, LastKind, LastAtMs);
}
