using Presence.Core.LastSeen;
using Presence.Query.Internal.Store;

namespace Presence.Query.Internal.Http;

/// <summary>
/// One group's aggregate presence (HTTP-API.md, "Many groups at once"): its members, how many are online, and the
/// latest of their values (receive time of an online member's last heartbeat, last seen of an offline one; -1 when
/// none is known).
/// </summary>
internal readonly record struct GroupTally(int Members, int Online, long LastSeen)
{
    /// <summary>The tally of members whose values (as <see cref="PresenceStore.GetLastSeenAsync"/> gives them) are <paramref name="values"/>.</summary>
    public static GroupTally Of(ReadOnlySpan<long> values)
    {
        int online = 0;
        long latest = -1;
        foreach (long value in values)
        {
            bool on = PresenceStore.IsOnline(value);
            online += on ? 1 : 0;
            latest = Math.Max(latest, Seen(value));
        }
        return new GroupTally(values.Length, online, latest);
    }

    /// <summary>The time a value says the member was last seen (online: its heartbeat's receive time), or -1 when it says none.</summary>
    public static long Seen(long value) => PresenceStore.IsOnline(value)
        ? (value == PresenceStore.UnknownTime ? -1 : value)
        : LastSeenTime.DecodeOffline(value) ?? -1;
}
