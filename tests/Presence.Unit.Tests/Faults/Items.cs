using Presence.Bench.Faults.History;

namespace Presence.Unit.Tests.Faults;

/// <summary>The items a hand-made session receives, as a correct node would send them from the model's log.</summary>
internal static class Items
{
    /// <summary>A snapshot at <c>epoch-seq</c>: every watched user with the log's state there.</summary>
    public static ItemSpec Snapshot(string epoch, long seq, long arrivedMs = 0) => (store, watched) =>
    [
        new StreamItem(arrivedMs, StreamItemKind.Snapshot, $"{epoch}-{seq}",
            Users: watched.Order().Select(u => new SnapshotUser(u, store.OnlineAt(epoch, u, seq), null)).ToList()),
    ];

    /// <summary>The log's lines of watched users with <paramref name="after"/> &lt; seq ≤ <paramref name="through"/>, as events.</summary>
    public static ItemSpec Events(string epoch, long after, long through = long.MaxValue) => (store, watched) =>
        store.Log
            .Where(l => l.Epoch == epoch && l.Seq > after && l.Seq <= through && watched.Contains(l.User))
            .Select(ToItem);

    /// <summary>One item as given.</summary>
    public static ItemSpec Raw(StreamItem item) => (_, _) => [item];

    /// <summary>The event a node sends for a log line (arriving 5 ms after its <c>at</c>).</summary>
    public static StreamItem ToItem(LogLine line) =>
        new(line.At + 5, line.Online ? StreamItemKind.Online : StreamItemKind.Offline, $"{line.Epoch}-{line.Seq}", line.User, line.At, line.Reason);
}
