using Presence.Bench.Faults.History;

namespace Presence.Bench.Faults.Checking;

/// <summary>Rule 4: snapshots are right.</summary>
internal static class SnapshotRule
{
    /// <summary>
    /// snapshot-state (per snapshot judged): a snapshot at <c>E-S</c> lists every watched user, each with
    /// the truth's state at S (the user's last line of E with seq ≤ S; no line: offline). Judged only when
    /// the truth of E is complete through S (coverage ≥ S); others are not counted. Plain sessions only
    /// (a debounced snapshot shows a user whose offline it holds as online: rule debounce-exact).
    /// </summary>
    public static void Judge(CheckContext context, RuleTally rule)
    {
        foreach (var session in context.History.Sessions.Where(s => !s.Debounced))
        {
            var watched = context.WatchedBy(session.Subscriber);
            foreach (var item in session.Items)
            {
                if (item.Kind != StreamItemKind.Snapshot || !EventPosition.TryParse(item.EventId, out var at))
                    continue;
                if (context.Truth.CoverageOf(at.Epoch) < at.Seq)
                    continue;
                rule.Judge();
                var listed = new Dictionary<ulong, bool>();
                foreach (var user in item.Users ?? [])
                    listed[user.User] = user.Online;
                foreach (ulong user in watched.Order())
                {
                    if (!listed.TryGetValue(user, out bool online))
                    {
                        rule.Fail($"{HistoryChecker.Describe(session)}: the snapshot {at} does not list watched user {user}");
                        break;
                    }
                    var line = context.Truth.LastOfUser(at.Epoch, user, at.Seq);
                    bool truth = line?.Online ?? false;
                    if (online != truth)
                    {
                        rule.Fail($"{HistoryChecker.Describe(session)}: the snapshot {at} has user {user} {(online ? "online" : "offline")}, "
                            + $"the log {(line is { } l ? $"has {l.Describe()}" : "has no line of it")}");
                        break;
                    }
                }
            }
        }
    }
}
