using Presence.Bench.Faults.History;

namespace Presence.Unit.Tests.Faults;

/// <summary>
/// The items a hand-made debounced session (<c>debounce=S</c>) receives, as a correct node sends them from the
/// model's log (HTTP-API.md, "Debounce"): the node reads each line <see cref="ReadDelayMs"/> after its
/// <c>at</c>; an offline is due at max(at + S, read); the user's next online read before then cancels both,
/// else the offline is sent at its due time and the online at its read time. Events go in the order of
/// those keys, each arriving <see cref="ArrivalDelayMs"/> after it, with the id
/// <c>epoch-seq-key-node-S</c>. A snapshot at <c>epoch-seq</c> is placed at the read time of that line and
/// shows a user whose offline is held there as online.
/// </summary>
internal static class DebouncedItems
{
    public const long ReadDelayMs = 5;

    public const long ArrivalDelayMs = 5;

    /// <summary>
    /// A snapshot at <c>epoch-seq</c> from node process <paramref name="node"/>: every watched user as the log
    /// has it there, but online when its last line there is an offline still held.
    /// </summary>
    public static ItemSpec Snapshot(string epoch, long seq, int seconds, string node, long arrivedMs) => (store, watched) =>
    {
        long point = seq == 0 ? arrivedMs : store.Log.Single(l => l.Epoch == epoch && l.Seq == seq).At + ReadDelayMs;
        var users = watched.Order().Select(u =>
        {
            var last = store.Log.Where(l => l.Epoch == epoch && l.User == u && l.Seq <= seq).Select(l => (LogLine?)l).LastOrDefault();
            bool held = last is { Online: false } offline && Due(offline, seconds) > point;
            return new SnapshotUser(u, last is { Online: true } || held, null);
        }).ToList();
        return [new StreamItem(arrivedMs, StreamItemKind.Snapshot, $"{epoch}-{seq}-{point}-{node}-{seconds}", Users: users)];
    };

    /// <summary>
    /// The events a stream of node process <paramref name="node"/> sends after the point
    /// (<paramref name="afterKeyMs"/>, <paramref name="afterSeq"/>) (a snapshot's or an event's id), up to
    /// key <paramref name="throughKeyMs"/>.
    /// </summary>
    public static ItemSpec Events(string epoch, int seconds, string node, long afterKeyMs, long afterSeq, long throughKeyMs = long.MaxValue) => (store, watched) =>
        Deliveries(store, watched, epoch, seconds)
            .Where(d => (d.KeyMs > afterKeyMs || (d.KeyMs == afterKeyMs && d.Line.Seq > afterSeq)) && d.KeyMs <= throughKeyMs)
            .Select(d => new StreamItem(d.KeyMs + ArrivalDelayMs, d.Line.Online ? StreamItemKind.Online : StreamItemKind.Offline,
                $"{epoch}-{d.Line.Seq}-{d.KeyMs}-{node}-{seconds}", d.Line.User, d.Line.At, d.Line.Reason));

    /// <summary>Everything a debounced stream of the watched users sends over one epoch, with its keys, in order.</summary>
    public static List<(LogLine Line, long KeyMs)> Deliveries(ModelStore store, IReadOnlyCollection<ulong> watched, string epoch, int seconds)
    {
        var sent = new List<(LogLine Line, long KeyMs)>();
        foreach (var lines in store.Log.Where(l => l.Epoch == epoch && watched.Contains(l.User)).GroupBy(l => l.User))
        {
            LogLine? held = null;
            foreach (var line in lines.OrderBy(l => l.Seq))
            {
                if (!line.Online)
                {
                    held = line;
                    continue;
                }
                if (held is { } offline)
                {
                    held = null;
                    if (line.At + ReadDelayMs < Due(offline, seconds))
                        continue; // cancelled: neither is sent
                    sent.Add((offline, Due(offline, seconds)));
                }
                sent.Add((line, line.At + ReadDelayMs));
            }
            if (held is { } last)
                sent.Add((last, Due(last, seconds)));
        }
        return [.. sent.OrderBy(d => d.KeyMs).ThenBy(d => d.Line.Seq)];
    }

    private static long Due(LogLine offline, int seconds) => Math.Max(offline.At + (seconds * 1000L), offline.At + ReadDelayMs);
}
