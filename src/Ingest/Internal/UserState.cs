using Presence.Core;

namespace Presence.Ingest.Internal;

/// <summary>What the ingester knows of one user: the receive time of its latest record, and what that record said.</summary>
internal readonly record struct UserState(long ReceiveMs, RecordKind Kind)
{
    /// <summary>
    /// The coalescing rule: the latest receive time wins; on a tie the record that arrived
    /// later (<paramref name="incoming"/>) wins, so an offline record beats an earlier heartbeat
    /// and loses to a later one. Keeping the maximum also means a user's stored time never goes
    /// backwards within one process.
    /// </summary>
    public static UserState Latest(UserState existing, UserState incoming) =>
        incoming.ReceiveMs >= existing.ReceiveMs ? incoming : existing;
}
