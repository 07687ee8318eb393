using Presence.Bench.Faults.History;

namespace Presence.Bench.Faults.Checking;

/// <summary>
/// The rules of debounced streams (<c>debounce=S</c>, HTTP-API.md "Debounce"): what a node sends is never
/// silently gapped (only cancelled pairs are left out), and an offline is never sent before its
/// <c>at</c> + S. Their events' match with the log is judged with the truth (<see cref="Truth.Build"/>),
/// their alternation by <see cref="StreamRules.Alternation"/>, their convergence by
/// <see cref="ConvergenceRule.JudgeStreams"/>, each on a rule of its own.
/// </summary>
internal static class DebounceRules
{
    /// <summary>
    /// debounce-exact (per item of a debounced session). Per subscriber, across its debounced sessions in
    /// order, each watched user has a position (every line of it through there is accounted for):
    /// <list type="bullet">
    /// <item>a snapshot <c>E-S-…</c> (its id a debounced one) lists every watched user; a user listed as the log
    /// has it at S is at S; a user listed online whose last line at S is an offline (one the node holds) is
    /// just before that offline, which must then be sent or cancelled; one listed offline that the log has
    /// online is a violation. Judged only where the log reader covered E through S.</item>
    /// <item>a Fresh, Garbage, PastEnd or ForeignEpoch session's first item is a snapshot; a Resume session's
    /// first item is a snapshot, or the node resumed the Last-Event-ID it sent (a debounced id of the same
    /// debounce, whose node process sends the session's ids): then the positions carry over from the
    /// subscriber's earlier sessions when that id is the last it received (otherwise they are not known,
    /// and not judged, until a snapshot or the user's next event).</item>
    /// <item>every item's id is a debounced id of the session's debounce, all of one node process; an event
    /// is of a watched user, of its position's epoch (the epoch changes only with a snapshot), after its
    /// position; and the user's lines between (the log reader covering them) that were not sent form
    /// adjacent (offline O, online N) pairs with N.at &lt; O.at + S: a pair the node cancelled, since it
    /// cancels one only when it reads N before O is due and N.at ≤ its read time. Anything else left out
    /// is a gap.</item>
    /// </list>
    /// Lines after a user's last event of a session that ends are not judged (a held offline may be
    /// pending); the stream's end state is rule debounce-convergence's. Returns how many cancelled pairs
    /// it accepted.
    /// </summary>
    public static long Exact(CheckContext context, RuleTally rule)
    {
        long cancelled = 0;
        foreach (var (subscriber, all) in context.SessionsBySubscriber)
        {
            var watched = context.WatchedBy(subscriber);
            var positions = new Dictionary<ulong, EventPosition>();
            string? lastId = null;
            foreach (var session in all.Where(s => s.Debounced))
            {
                if (session.Items.Count == 0)
                    continue;
                long debounceMs = session.Debounce * 1000L;
                var first = session.Items[0];
                string? node = null; // the node process whose ids the session carries
                if (first.Kind != StreamItemKind.Snapshot)
                {
                    if (session.Resume != ResumeKind.Resume)
                    {
                        rule.Fail($"{HistoryChecker.Describe(session)}: a {session.Resume} session's first item is {HistoryChecker.Describe(first)}, not a snapshot");
                        positions.Clear();
                    }
                    else if (!DebouncedPosition.TryParse(session.LastEventIdSent, out var resumed) || resumed.Seconds != session.Debounce)
                    {
                        rule.Fail($"{HistoryChecker.Describe(session)}: resumed from an id that is no debounced id of {session.Debounce} s, and its first item is {HistoryChecker.Describe(first)}, not a snapshot");
                        positions.Clear();
                    }
                    else
                    {
                        node = resumed.Node;
                        if (session.LastEventIdSent != lastId)
                            positions.Clear(); // resumed from an earlier id than its last: not judged from what it held
                    }
                }
                for (int i = 0; i < session.Items.Count; i++)
                {
                    var item = session.Items[i];
                    lastId = item.EventId ?? lastId;
                    rule.Judge();
                    if (!DebouncedPosition.TryParse(item.EventId, out var position) || position.Seconds != session.Debounce)
                    {
                        rule.Fail($"{HistoryChecker.Describe(session)}: {HistoryChecker.Describe(item)} has no debounced id of {session.Debounce} s");
                        if (item.Kind == StreamItemKind.Snapshot)
                            positions.Clear();
                        continue;
                    }
                    if (node is not null && position.Node != node)
                        rule.Fail($"{HistoryChecker.Describe(session)}: {HistoryChecker.Describe(item)} is of node process {position.Node}, the session's {(i == 0 ? "resumed id" : "ids")} of {node}");
                    node = position.Node;
                    if (item.Kind == StreamItemKind.Snapshot)
                        StartAt(context, rule, session, item, position, watched, positions);
                    else
                        cancelled += JudgeEvent(context, rule, session, item, position, watched, positions, debounceMs);
                }
            }
        }
        return cancelled;
    }

    /// <summary>Each watched user's position from a snapshot (see <see cref="Exact"/>).</summary>
    private static void StartAt(CheckContext context, RuleTally rule, StreamSession session, StreamItem snapshot, DebouncedPosition at,
        HashSet<ulong> watched, Dictionary<ulong, EventPosition> positions)
    {
        var listed = new Dictionary<ulong, bool>();
        foreach (var user in snapshot.Users ?? [])
            listed.TryAdd(user.User, user.Online);
        bool covered = context.Truth.CoverageOf(at.Epoch) >= at.Seq;
        foreach (ulong user in watched.Order())
        {
            if (!listed.TryGetValue(user, out bool online))
            {
                rule.Fail($"{HistoryChecker.Describe(session)}: the snapshot {at} does not list watched user {user}");
                positions.Remove(user);
                continue;
            }
            positions[user] = at.Line;
            if (!covered)
            {
                // The log's lines up to the snapshot were not all read: whether a user shown online is held (its
                // offline, before the snapshot's position, still to come) cannot be told, so its next event starts it.
                if (online)
                    positions.Remove(user);
                continue;
            }
            var last = context.Truth.LastOfUser(at.Epoch, user, at.Seq);
            if (online == (last?.Online ?? false))
                continue;
            if (online && last is { } held)
                positions[user] = new EventPosition(at.Epoch, held.Seq - 1); // an offline the node holds: sent later, or cancelled
            else
                rule.Fail($"{HistoryChecker.Describe(session)}: the snapshot {at} has user {user} {(online ? "online" : "offline")}, the log {(last is { } l ? $"has {l.Describe()}" : "has no line of it")}");
        }
    }

    /// <summary>One event against its user's position (see <see cref="Exact"/>); returns the cancelled pairs it accepted.</summary>
    private static long JudgeEvent(CheckContext context, RuleTally rule, StreamSession session, StreamItem item, DebouncedPosition at,
        HashSet<ulong> watched, Dictionary<ulong, EventPosition> positions, long debounceMs)
    {
        ulong user = item.User;
        if (!watched.Contains(user))
        {
            rule.Fail($"{HistoryChecker.Describe(session)}: {HistoryChecker.Describe(item)} of a user it does not watch");
            return 0;
        }
        if (!positions.TryGetValue(user, out var from))
        {
            positions[user] = at.Line; // nothing known to judge it from
            return 0;
        }
        if (from.Epoch != at.Epoch)
        {
            rule.Fail($"{HistoryChecker.Describe(session)}: {HistoryChecker.Describe(item)} of another epoch than user {user}'s position {from}, without a snapshot");
            positions[user] = at.Line;
            return 0;
        }
        if (at.Seq <= from.Seq)
        {
            rule.Fail($"{HistoryChecker.Describe(session)}: {HistoryChecker.Describe(item)} not after user {user}'s position {from} (sent again, or out of the user's order)");
            return 0;
        }
        positions[user] = at.Line;
        if (context.Truth.CoverageOf(at.Epoch) < at.Seq - 1)
            return 0; // lines between may be unknown
        var skipped = context.Truth.OfUser(at.Epoch, user, from.Seq, at.Seq - 1).ToList();
        for (int i = 0; i < skipped.Count; i += 2)
        {
            var offline = skipped[i];
            string? why = null;
            if (offline.Online)
                why = "an online left out without the offline it cancels";
            else if (i + 1 >= skipped.Count)
                why = "an offline left out without the online that cancels it";
            else if (skipped[i + 1].Online is false)
                why = $"an offline left out, followed by another offline {skipped[i + 1].Describe()}";
            else if (skipped[i + 1].At >= offline.At + debounceMs)
                why = $"a pair left out whose online {skipped[i + 1].Describe()} came {skipped[i + 1].At - offline.At} ms after it, not within {debounceMs} ms";
            if (why is not null)
            {
                rule.Fail($"{HistoryChecker.Describe(session)}: {HistoryChecker.Describe(item)} after {from}, but not {offline.Describe()}: {why}");
                return 0;
            }
        }
        return skipped.Count / 2;
    }

    /// <summary>
    /// debounce-offline-held (per offline event and per snapshot entry judged): a debounced stream's
    /// offline arrives no earlier than its <c>at</c> + S (the node sends it at max(at + S, its read time);
    /// arrival is the run's clock, the same machine's; <see cref="CheckOptions.DebounceClockMs"/> allows for
    /// the clocks' granularity); and a snapshot at <c>E-S</c> arriving before that shows the user online
    /// (a held offline) rather than offline: an entry listed offline whose last line at S is an offline of E
    /// is judged (the log reader covering E through S). A snapshot after a new epoch holds nothing of the old.
    /// </summary>
    public static void OfflineHeld(CheckContext context, RuleTally rule)
    {
        long slack = context.Options.DebounceClockMs;
        foreach (var session in context.History.Sessions.Where(s => s.Debounced))
        {
            long debounceMs = session.Debounce * 1000L;
            foreach (var item in session.Items)
            {
                if (item.Kind == StreamItemKind.Offline)
                {
                    rule.Judge();
                    if (item.ArrivedMs + slack < item.At + debounceMs)
                        rule.Fail($"{HistoryChecker.Describe(session)}: {HistoryChecker.Describe(item)}, {item.At + debounceMs - item.ArrivedMs} ms before at + {session.Debounce} s ({item.At + debounceMs})");
                    continue;
                }
                if (item.Kind != StreamItemKind.Snapshot || !DebouncedPosition.TryParse(item.EventId, out var at)
                    || context.Truth.CoverageOf(at.Epoch) < at.Seq)
                    continue;
                foreach (var user in (item.Users ?? []).Where(u => !u.Online))
                {
                    if (context.Truth.LastOfUser(at.Epoch, user.User, at.Seq) is not { Online: false } offline)
                        continue;
                    rule.Judge();
                    if (item.ArrivedMs + slack < offline.At + debounceMs)
                        rule.Fail($"{HistoryChecker.Describe(session)}: the snapshot {at} arrived {item.ArrivedMs} with user {user.User} offline, "
                            + $"{offline.At + debounceMs - item.ArrivedMs} ms before its {offline.Describe()} + {session.Debounce} s");
                }
            }
        }
    }
}
