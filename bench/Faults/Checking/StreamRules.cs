using Presence.Bench.Faults.History;

namespace Presence.Bench.Faults.Checking;

/// <summary>Rules 1 and 2: ids increase within a session; per subscriber, each user's events alternate and <c>at</c> never decreases.</summary>
internal static class StreamRules
{
    /// <summary>
    /// ids-increase (per item): within one session every item's id parses as <c>epoch-seq</c>; an event's
    /// seq is greater than the previous item's (a snapshot's id is a position too); a snapshot's seq is not
    /// less than the previous item's in the same epoch; the epoch changes only with a snapshot. Plain
    /// sessions only: a debounced stream sends in the order offlines fall due, and its ids are of
    /// another form (<see cref="DebounceRules"/>).
    /// </summary>
    public static void IdsIncrease(CheckContext context, RuleTally rule)
    {
        foreach (var session in context.History.Sessions.Where(s => !s.Debounced))
        {
            EventPosition? previous = null;
            foreach (var item in session.Items)
            {
                rule.Judge();
                if (!EventPosition.TryParse(item.EventId, out var position))
                {
                    rule.Fail($"{HistoryChecker.Describe(session)}: {HistoryChecker.Describe(item)} has no epoch-seq id");
                    continue;
                }
                if (previous is { } p)
                {
                    bool snapshot = item.Kind == StreamItemKind.Snapshot;
                    if (p.Epoch != position.Epoch && !snapshot)
                        rule.Fail($"{HistoryChecker.Describe(session)}: {HistoryChecker.Describe(item)} changes the epoch after {p} without a snapshot");
                    else if (p.Epoch == position.Epoch && (snapshot ? position.Seq < p.Seq : position.Seq <= p.Seq))
                        rule.Fail($"{HistoryChecker.Describe(session)}: {HistoryChecker.Describe(item)} does not come after {p}");
                }
                previous = position;
            }
        }
    }

    /// <summary>
    /// alternation (per event): per subscriber, across its sessions in order (its state carries over a
    /// resume; a snapshot sets each listed user's state and forgets its last <c>at</c>), an online event only
    /// for a user it holds offline, an offline only for one it holds online (a user it knows nothing of yet
    /// is not judged for kind), and each event's <c>at</c> ≥ the previous event's for that user.
    /// <paramref name="debounced"/>: the subscribers' debounced sessions (rule debounce-alternation: the
    /// same promise, HTTP-API.md "Debounce"), else their plain ones.
    /// </summary>
    public static void Alternation(CheckContext context, RuleTally rule, bool debounced = false)
    {
        foreach (var sessions in context.SessionsBySubscriber.Values.Select(all => all.Where(s => s.Debounced == debounced).ToList()))
        {
            var state = new Dictionary<ulong, bool>();
            var lastAt = new Dictionary<ulong, long>();
            foreach (var session in sessions)
            {
                foreach (var item in session.Items)
                {
                    if (item.Kind == StreamItemKind.Snapshot)
                    {
                        foreach (var user in item.Users ?? [])
                        {
                            state[user.User] = user.Online;
                            lastAt.Remove(user.User);
                        }
                        continue;
                    }
                    rule.Judge();
                    bool online = item.Kind == StreamItemKind.Online;
                    if (state.TryGetValue(item.User, out bool held) && held == online)
                        rule.Fail($"{HistoryChecker.Describe(session)}: {HistoryChecker.Describe(item)} while the stream already had user {item.User} {(held ? "online" : "offline")}");
                    else if (lastAt.TryGetValue(item.User, out long at) && item.At < at)
                        rule.Fail($"{HistoryChecker.Describe(session)}: {HistoryChecker.Describe(item)} goes back from the previous at {at}");
                    state[item.User] = online;
                    lastAt[item.User] = item.At;
                }
            }
        }
    }

    /// <summary>The subscriber's state after all its sessions' items: each user it has a snapshot or event of.</summary>
    public static Dictionary<ulong, bool> FinalState(IReadOnlyList<StreamSession> sessions)
    {
        var state = new Dictionary<ulong, bool>();
        foreach (var item in sessions.SelectMany(s => s.Items))
        {
            if (item.Kind == StreamItemKind.Snapshot)
            {
                foreach (var user in item.Users ?? [])
                    state[user.User] = user.Online;
            }
            else
            {
                state[item.User] = item.Kind == StreamItemKind.Online;
            }
        }
        return state;
    }
}
