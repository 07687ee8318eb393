using Presence.Core.Events;

namespace Presence.Ingest.Internal.Transitions;

/// <summary>
/// A transition the ingester saw, on its way to the events log. <see cref="Possible"/>: an online it is not
/// sure of (a key of a user it met anew), which the log drops silently when it has the user online; or a
/// timeout its start-up sweep found, whose <see cref="AtMs"/> is the online's <c>at</c> it read: the log ends
/// only that period, dated as it appends. <see cref="Relayed"/>: an online of another ingester's period that this
/// one's expiry check revealed (<see cref="ExpiryWatcher"/>), sent right after the timeout it follows (<see
/// cref="ITransitionSink.EnqueuePair"/>): the log takes it only when that timeout ended a period.
/// </summary>
/// <remarks>
/// 16 bytes: the user, and its time, kind and flags packed in one long (<see cref="Packed"/>),
/// since the events log's queue holds up to <see cref="EventLogAppender.Capacity"/> of them (a cold start's
/// burst of onlines: 16 MB, 32 with the four fields apart) and <see cref="HeldTransitions"/> keeps the packed
/// long of a user's first and latest held one.
/// </remarks>
internal readonly record struct PresenceTransition
{
    public PresenceTransition(ulong UserId, TransitionKind Kind, long AtMs, bool Possible = false, bool Relayed = false)
    {
        this.UserId = UserId;
        Packed = AtMs << 5 | (Relayed ? 16L : 0) | 8 | (Possible ? 4L : 0) | (long)Kind;
    }

    private PresenceTransition(ulong userId, long packed)
    {
        UserId = userId;
        Packed = packed;
    }

    public ulong UserId { get; }

    public TransitionKind Kind => (TransitionKind)(Packed & 3);

    public long AtMs => Packed >> 5;

    public bool Possible => (Packed & 4) != 0;

    public bool Relayed => (Packed & 16) != 0;

    /// <summary>The time (ms) above 5 bits: the kind (2 bits), whether possible (1), a bit always set, so it is never 0, and whether relayed (1).</summary>
    internal long Packed { get; }

    /// <summary>The transition of <paramref name="userId"/> that <paramref name="packed"/> (a <see cref="Packed"/>) holds.</summary>
    internal static PresenceTransition Unpack(ulong userId, long packed) => new(userId, packed);
}
