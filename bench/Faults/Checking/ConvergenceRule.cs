namespace Presence.Bench.Faults.Checking;

/// <summary>Rule 5: convergence after the last fault and the quiet period.</summary>
internal static class ConvergenceRule
{
    /// <summary>
    /// convergence (per comparison): every node's batch answer for every user it answered equals the store
    /// (<c>Final.StoreKeys</c>: a key ⇔ online); and every subscriber with a session still open at the end
    /// holds, as of the end of its items (its last snapshot and the events after, carried over its
    /// sessions), each watched user's state equal to the store's (for a user the store was not read for,
    /// the batch answers'); a watched user it holds no state of is a violation. Subscribers whose open
    /// session is debounced are rule debounce-convergence's (<see cref="JudgeStreams"/>).
    /// </summary>
    public static void Judge(CheckContext context, RuleTally rule)
    {
        var final = context.History.Final;
        var judgedUsers = context.History.Info.Users.ToHashSet();
        foreach (var answer in final.Batch)
        {
            rule.Judge();
            bool store = final.StoreKeys.ContainsKey(answer.User);
            if (judgedUsers.Contains(answer.User) && answer.Online != store)
                rule.Fail($"{answer.Node} answers user {answer.User} {(answer.Online ? "online" : "offline")} at {final.BatchReadMs}, the store {(store ? "has" : "has no")} key at {final.StoreReadMs}");
        }
        JudgeStreams(context, rule, debounced: false);
    }

    /// <summary>
    /// The streams' part of <see cref="Judge"/>: every subscriber whose session open at the end is plain
    /// (<paramref name="debounced"/> false) or debounced (true: rule debounce-convergence, whose streams have
    /// released every held offline by then, HTTP-API.md "Debounce"), its state carried over its sessions of
    /// that kind.
    /// </summary>
    public static void JudgeStreams(CheckContext context, RuleTally rule, bool debounced)
    {
        var final = context.History.Final;
        var judgedUsers = context.History.Info.Users.ToHashSet();
        var batch = new Dictionary<ulong, bool>();
        foreach (var answer in final.Batch)
            batch.TryAdd(answer.User, answer.Online);
        foreach (var (subscriber, all) in context.SessionsBySubscriber)
        {
            var open = all.LastOrDefault(s => s.EndedMs is null);
            if (open is null || open.Debounced != debounced)
                continue;
            var state = StreamRules.FinalState([.. all.Where(s => s.Debounced == debounced)]);
            foreach (ulong user in context.WatchedBy(subscriber).Order())
            {
                bool? expected = judgedUsers.Contains(user) ? final.StoreKeys.ContainsKey(user) : batch.TryGetValue(user, out bool b) ? b : null;
                if (expected is not { } want)
                    continue;
                rule.Judge();
                if (!state.TryGetValue(user, out bool held))
                    rule.Fail($"{HistoryChecker.Describe(open)} (open at the end) holds no state of user {user}");
                else if (held != want)
                    rule.Fail($"{HistoryChecker.Describe(open)} (open at the end) holds user {user} {(held ? "online" : "offline")}, the store {(want ? "has" : "has no")} key");
            }
        }
    }
}
