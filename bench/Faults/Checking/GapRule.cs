using Presence.Bench.Faults.History;

namespace Presence.Bench.Faults.Checking;

/// <summary>Rule 3: no silent gap (per session).</summary>
internal static class GapRule
{
    /// <summary>
    /// no-silent-gap (per session with items). A session starts from a position: a <c>Resume</c> session
    /// from its Last-Event-ID unless its first item is a snapshot; every other kind (Fresh, Garbage,
    /// PastEnd, ForeignEpoch) must have a snapshot as its first item (a session that ended with no item at
    /// all is fine). Each snapshot starts a new position. From a position <c>E-S</c>, the events up to the
    /// next snapshot must all be of epoch E, of watched users, after S, and — judged up to
    /// B = min(the truth's coverage of E, the last seq delivered) — be exactly the truth's lines of watched
    /// users with S &lt; seq ≤ B (no hole before the last one delivered). Order and repeats are rule
    /// ids-increase's, contents rule events-match-log's. Plain sessions only (a debounced one leaves out
    /// cancelled pairs and sends held offlines after later lines: rule debounce-exact).
    /// </summary>
    public static void Judge(CheckContext context, RuleTally rule)
    {
        foreach (var session in context.History.Sessions.Where(s => !s.Debounced))
        {
            if (session.Items.Count == 0)
                continue;
            rule.Judge();
            var watched = context.WatchedBy(session.Subscriber);
            var first = session.Items[0];
            EventPosition? start = null;
            bool fromResume = false;
            if (first.Kind != StreamItemKind.Snapshot)
            {
                if (session.Resume != ResumeKind.Resume)
                {
                    rule.Fail($"{HistoryChecker.Describe(session)}: a {session.Resume} session's first item is {HistoryChecker.Describe(first)}, not a snapshot");
                    continue;
                }
                if (!EventPosition.TryParse(session.LastEventIdSent, out var resumed))
                {
                    rule.Fail($"{HistoryChecker.Describe(session)}: resumed from an id that is no position, and its first item is {HistoryChecker.Describe(first)}, not a snapshot");
                    continue;
                }
                start = resumed;
                fromResume = true;
            }
            var delivered = new List<(EventPosition Position, StreamItem Item)>();
            foreach (var item in session.Items)
            {
                if (item.Kind == StreamItemKind.Snapshot)
                {
                    JudgeSegment(context, rule, session, watched, start, fromResume, delivered);
                    start = EventPosition.TryParse(item.EventId, out var at) ? at : null;
                    fromResume = false;
                    delivered.Clear();
                    continue;
                }
                if (EventPosition.TryParse(item.EventId, out var position))
                    delivered.Add((position, item));
            }
            JudgeSegment(context, rule, session, watched, start, fromResume, delivered);
        }
    }

    private static void JudgeSegment(CheckContext context, RuleTally rule, StreamSession session, HashSet<ulong> watched,
        EventPosition? start, bool fromResume, List<(EventPosition Position, StreamItem Item)> delivered)
    {
        if (start is not { } from || delivered.Count == 0)
            return;
        string origin = fromResume ? $"resumed from {from}" : $"after the snapshot {from}";
        var seqs = new HashSet<long>();
        long last = 0;
        foreach (var (position, item) in delivered)
        {
            if (position.Epoch != from.Epoch)
            {
                rule.Fail($"{HistoryChecker.Describe(session)}: {origin}, got {HistoryChecker.Describe(item)} of another epoch without a snapshot");
                return;
            }
            if (!watched.Contains(item.User))
            {
                rule.Fail($"{HistoryChecker.Describe(session)}: {origin}, got {HistoryChecker.Describe(item)} of a user it does not watch");
                return;
            }
            if (fromResume && position.Seq <= from.Seq)
            {
                rule.Fail($"{HistoryChecker.Describe(session)}: {origin}, got {HistoryChecker.Describe(item)}, not after it");
                return;
            }
            seqs.Add(position.Seq);
            last = Math.Max(last, position.Seq);
        }
        long bound = Math.Min(context.Truth.CoverageOf(from.Epoch), last);
        TruthLine? missing = null;
        foreach (ulong user in watched)
        {
            foreach (var line in context.Truth.OfUser(from.Epoch, user, from.Seq, bound))
            {
                if (!seqs.Contains(line.Seq))
                {
                    if (missing is null || line.Seq < missing.Value.Seq)
                        missing = line;
                    break;
                }
            }
        }
        if (missing is { } hole)
            rule.Fail($"{HistoryChecker.Describe(session)}: {origin}, delivered up to {from.Epoch}-{last} but not {hole.Describe()}");
    }
}
