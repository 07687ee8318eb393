using Presence.Bench.Faults.History;

namespace Presence.Bench.Faults.Checking;

/// <summary>
/// Judges a fault-schedule run's history against the rules of docs/FAULTS.md, "The checker's rules" (issue 19).
/// Pure: no I/O, no clock; the same history always gives the same report.
/// </summary>
internal static class HistoryChecker
{
    public static CheckReport Check(RunHistory history, CheckOptions options)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(options);
        var tallies = new Dictionary<string, RuleTally>
        {
            [RuleNames.IdsIncrease] = new(RuleNames.IdsIncrease, "per session, ids increase; the epoch changes only with a snapshot", "items"),
            [RuleNames.Alternation] = new(RuleNames.Alternation, "per subscriber and user, events alternate and at never decreases", "events"),
            [RuleNames.NoSilentGap] = new(RuleNames.NoSilentGap, "every transition after the resumed id or snapshot, or a snapshot first", "sessions"),
            [RuleNames.EventsMatchLog] = new(RuleNames.EventsMatchLog, "an event id means the same transition everywhere (log and streams)", "events"),
            [RuleNames.SnapshotState] = new(RuleNames.SnapshotState, "a snapshot is the log's state at its position", "snapshots"),
            [RuleNames.Convergence] = new(RuleNames.Convergence, "at the end: open streams = batch answers = store", "comparisons"),
            [RuleNames.Expiry] = new(RuleNames.Expiry, "a key expires at its receive + ttl (±margin)", "samples"),
            [RuleNames.TimeoutAt] = new(RuleNames.TimeoutAt, "a timeout's at − ttl is the user's last receive", "timeouts"),
            [RuleNames.HeartbeatLost] = new(RuleNames.HeartbeatLost, "no heartbeat lost outside fault windows (none across SIGTERM)", "samples"),
            [RuleNames.DebounceMatchLog] = new(RuleNames.DebounceMatchLog, "debounced: every event is a line of the log (user, kind, at, reason)", "events"),
            [RuleNames.DebounceAlternation] = new(RuleNames.DebounceAlternation, "debounced: per subscriber and user, events alternate, at never decreases", "events"),
            [RuleNames.DebounceExact] = new(RuleNames.DebounceExact, "debounced: only cancelled pairs (N.at < O.at + S) left out; snapshot first", "items"),
            [RuleNames.DebounceOfflineHeld] = new(RuleNames.DebounceOfflineHeld, "debounced: no offline received (or shown) before at + S", "offlines"),
            [RuleNames.DebounceConvergence] = new(RuleNames.DebounceConvergence, "debounced: at the end, open streams = store", "comparisons"),
        };
        var truth = Truth.Build(history, tallies[RuleNames.EventsMatchLog], tallies[RuleNames.DebounceMatchLog]);
        var context = new CheckContext(history, options, truth);
        StreamRules.IdsIncrease(context, tallies[RuleNames.IdsIncrease]);
        StreamRules.Alternation(context, tallies[RuleNames.Alternation]);
        GapRule.Judge(context, tallies[RuleNames.NoSilentGap]);
        SnapshotRule.Judge(context, tallies[RuleNames.SnapshotState]);
        ConvergenceRule.Judge(context, tallies[RuleNames.Convergence]);
        StreamRules.Alternation(context, tallies[RuleNames.DebounceAlternation], debounced: true);
        long cancelledPairs = DebounceRules.Exact(context, tallies[RuleNames.DebounceExact]);
        DebounceRules.OfflineHeld(context, tallies[RuleNames.DebounceOfflineHeld]);
        ConvergenceRule.JudgeStreams(context, tallies[RuleNames.DebounceConvergence], debounced: true);
        StoreRules.Expiry(context, tallies[RuleNames.Expiry]);
        StoreRules.TimeoutAt(context, tallies[RuleNames.TimeoutAt]);
        var (heartbeatsJudged, excusedByKernelDrops) = StoreRules.HeartbeatLost(context, tallies[RuleNames.HeartbeatLost]);
        var (kernelDrops, recordsDropped, queueFull) = context.DropTotals();

        var plain = history.Sessions.Where(s => !s.Debounced).ToList();
        var items = plain.SelectMany(s => s.Items).ToList();
        var debounced = history.Sessions.Where(s => s.Debounced).ToList();
        var debouncedItems = debounced.SelectMany(s => s.Items).ToList();
        return new CheckReport
        {
            FaultsByKind = history.Faults.GroupBy(f => f.Kind).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count()),
            Subscribers = history.Subscribers.Count - debounced.Select(s => s.Subscriber).Distinct().Count(),
            Sessions = plain.Count,
            EventsReceived = items.Count(i => i.Kind != StreamItemKind.Snapshot),
            SnapshotsReceived = items.Count(i => i.Kind == StreamItemKind.Snapshot),
            Debounced = new DebounceFigures(
                debounced.Select(s => s.Subscriber).Distinct().Count(),
                debounced.Count,
                debouncedItems.Count(i => i.Kind != StreamItemKind.Snapshot),
                debouncedItems.Count(i => i.Kind == StreamItemKind.Snapshot),
                cancelledPairs,
                [.. debounced.Select(s => s.Debounce).Distinct().Order()]),
            LogLines = history.Log.Count,
            HeartbeatsSent = history.Heartbeats.Count(h => !h.Dropped),
            HeartbeatsDropped = history.Heartbeats.Count(h => h.Dropped),
            HeartbeatsJudged = heartbeatsJudged,
            HeartbeatsExcusedByKernelDrops = excusedByKernelDrops,
            KernelDrops = kernelDrops,
            RecordsDropped = recordsDropped,
            QueueFullDropped = queueFull,
            DropsRecorded = history.Drops is not null,
            Samples = history.Samples.Count,
            Rules = RuleNames.All.Select(name => tallies[name].ToResult()).ToList(),
        };
    }

    /// <summary>A session for a violation's text: subscriber, session, node, how it was opened.</summary>
    public static string Describe(StreamSession session) =>
        $"subscriber {session.Subscriber} session {session.Session} on {session.Node} ({session.Resume}"
        + (session.LastEventIdSent is null ? "" : $" from {session.LastEventIdSent}")
        + $", connected {session.ConnectedMs})";

    /// <summary>An item for a violation's text: kind, id, user, at, arrival.</summary>
    public static string Describe(StreamItem item) => item.Kind switch
    {
        StreamItemKind.Snapshot => $"snapshot {item.EventId ?? "(no id)"} arrived {item.ArrivedMs}",
        _ => $"{(item.Kind == StreamItemKind.Online ? "online" : "offline")} {item.EventId ?? "(no id)"} user {item.User} at {item.At}"
            + (item.Reason is null ? "" : $" ({item.Reason})") + $" arrived {item.ArrivedMs}",
    };
}
