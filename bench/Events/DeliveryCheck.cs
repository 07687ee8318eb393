using Presence.Core.Events;

namespace Presence.Bench.Events;

/// <summary>
/// The window's deliveries against the events log: each line must reach every subscriber watching
/// its user exactly once, saying what the line says (kind, user, <c>at</c>), and nothing else may
/// arrive. A subscriber that had to take a new snapshot inside the window is owed only the lines
/// after it (the snapshot stands for the ones before).
/// </summary>
internal sealed record DeliveryCheck(
    long Expected,
    long Received,
    long Missing,
    long Duplicates,
    long Unexpected,
    long Mismatched,
    int NotAlternating,
    int Foreign,
    int OtherEpoch,
    int Reconnects,
    int Refused,
    int Errors,
    int Resnapshotted,
    long Keepalives,
    string RefusedStatuses)
{
    /// <summary>Nothing lost, repeated, invented or altered.</summary>
    public bool ExactlyOnce => Missing == 0 && Duplicates == 0 && Unexpected == 0 && Mismatched == 0 && NotAlternating == 0 && Foreign == 0 && OtherEpoch == 0;

    public static DeliveryCheck Run(SubscriberPool pool, WatchLayout layout, List<EventLogLine> lines, long after, long upTo) =>
        Run(pool.Subscribers, layout, lines, after, upTo);

    /// <summary>
    /// Judges <paramref name="subscribers"/>' deliveries of the log lines in (<paramref name="after"/>,
    /// <paramref name="upTo"/>] (<paramref name="lines"/>: every line of the log in that window).
    /// </summary>
    public static DeliveryCheck Run(IReadOnlyList<EventSubscriber> subscribers, WatchLayout layout, List<EventLogLine> lines, long after, long upTo)
    {
        var bySeq = lines.ToDictionary(l => l.Seq);
        var owed = new Dictionary<int, List<long>>();
        foreach (var line in lines)
        {
            foreach (int s in layout.SubscribersOf(line.UserId))
            {
                if (!owed.TryGetValue(s, out var list))
                    owed[s] = list = [];
                list.Add(line.Seq);
            }
        }
        long expected = 0, received = 0, missing = 0, duplicates = 0, unexpected = 0, mismatched = 0, keepalives = 0;
        int notAlternating = 0, foreign = 0, otherEpoch = 0, reconnects = 0, refused = 0, errors = 0, resnapshotted = 0;
        var seen = new HashSet<long>();
        foreach (var subscriber in subscribers)
        {
            notAlternating += subscriber.NotAlternating;
            foreign += subscriber.Foreign;
            otherEpoch += subscriber.OtherEpoch;
            reconnects += Math.Max(0, subscriber.Connects - 1);
            refused += subscriber.Refused;
            errors += subscriber.Errors;
            keepalives += subscriber.Keepalives;
            long from = after;
            if (subscriber.SnapshotSeq > after)
            {
                resnapshotted++;
                from = subscriber.SnapshotSeq;
            }
            seen.Clear();
            foreach (var d in subscriber.Deliveries())
            {
                if (d.Seq <= from || d.Seq > upTo)
                    continue;
                received++;
                if (!seen.Add(d.Seq))
                {
                    duplicates++;
                    continue;
                }
                if (!bySeq.TryGetValue(d.Seq, out var line) || layout.PositionOf(subscriber.Index, line.UserId) < 0)
                {
                    unexpected++;
                    continue;
                }
                if (line.UserId != d.UserId || line.Kind != d.Kind || line.AtMs != d.AtMs)
                    mismatched++;
            }
            if (owed.TryGetValue(subscriber.Index, out var list))
            {
                foreach (long seq in list)
                {
                    if (seq <= from)
                        continue;
                    expected++;
                    if (!seen.Contains(seq))
                        missing++;
                }
            }
        }
        return new DeliveryCheck(expected, received, missing, duplicates, unexpected, mismatched, notAlternating, foreign, otherEpoch,
            reconnects, refused, errors, resnapshotted, keepalives,
            string.Join(", ", subscribers.Where(s => s.LastRefusedStatus != 0).GroupBy(s => s.LastRefusedStatus).Select(g => $"HTTP {g.Key} last for {g.Count()}")));
    }
}
