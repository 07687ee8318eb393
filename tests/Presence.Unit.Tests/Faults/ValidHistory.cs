using Presence.Bench.Faults.History;

namespace Presence.Unit.Tests.Faults;

/// <summary>
/// A small history of a correct run, which every rule passes. Users 1 and 2, ttl 5 s, 1,000 to 30,000 ms:
/// user 1 heartbeats every second throughout; user 2 from 1,000 to 5,000, falls silent (timeout at 10,001),
/// comes back from 12,000 to 15,000 and signs out at 16,000. Its log (epoch e1):
/// <code>
/// e1-1 online  1 at 1001
/// e1-2 online  2 at 1001
/// e1-3 offline 2 at 10001 timeout
/// e1-4 online  2 at 12001
/// e1-5 offline 2 at 16001 signout
/// </code>
/// Faults: a SIGTERM of ingest-1 (20,000–21,000) and a SIGKILL of query-1 (26,000–26,500).
/// Subscriber 1 watches 1 and 2: a fresh session (snapshot e1-0, events 1–3) it leaves at 11,000, then a
/// resume from e1-3 on query-2 (events 4–5), open at the end. Subscriber 2 watches 2: a fresh session
/// (snapshot e1-3, events 4–5) it leaves at 17,000, then a garbage Last-Event-ID answered with a snapshot
/// e1-5, open. Subscriber 3 watches 1: a fresh session with snapshot e1-1, open.
/// </summary>
internal static class ValidHistory
{
    public static HistoryBuilder Builder(Action<HistoryBuilder>? more = null)
    {
        var builder = new HistoryBuilder()
            .Heartbeats(user: 1, fromMs: 1000, toMs: 28_000)
            .Heartbeats(user: 2, fromMs: 1000, toMs: 5000)
            .Heartbeats(user: 2, fromMs: 12_000, toMs: 15_000)
            .SignOut(user: 2, sentMs: 16_000)
            .Fault(FaultKind.Term, 20_000, 21_000, "ingest-1")
            .Fault(FaultKind.Kill, 26_000, 26_500, "query-1")
            .Subscriber(1, 1, 2)
            .Subscriber(2, 2)
            .Subscriber(3, 1);
        more?.Invoke(builder);
        return builder;
    }

    /// <summary>The sessions of the story above (call after any <see cref="Builder"/> additions that the sessions do not depend on).</summary>
    public static HistoryBuilder WithSessions(this HistoryBuilder builder) => builder
        .Session(1, "query-1", 1000, 11_000, ResumeKind.Fresh, null, Items.Snapshot("e1", 0, 1000), Items.Events("e1", 0, 3))
        .Session(1, "query-2", 11_100, null, ResumeKind.Resume, "e1-3", Items.Events("e1", 3))
        .Session(2, "query-2", 10_500, 17_000, ResumeKind.Fresh, null, Items.Snapshot("e1", 3, 10_500), Items.Events("e1", 3, 5))
        .Session(2, "query-2", 18_000, null, ResumeKind.Garbage, "not-an-id", Items.Snapshot("e1", 5, 18_000))
        .Session(3, "query-2", 2000, null, ResumeKind.Fresh, null, Items.Snapshot("e1", 1, 2000));

    public static RunHistory Build() => Builder().WithSessions().Build();
}
