using Presence.Bench.Faults.History;

namespace Presence.Unit.Tests.Faults;

/// <summary>
/// A small history of a correct run with debounced streams, which every rule passes. Ttl 5 s, 1,000 to 30,000 ms:
/// user 1 heartbeats every second throughout; user 2 from 2,000, signs out at 6,500, is back from 7,500 (a
/// blink of 1 s), signs out at 9,500, is back from 14,000 to 15,000 and falls silent (timeout at 20,001);
/// user 3 heartbeats from 12,000 on. Its log (epoch e1):
/// <code>
/// e1-1 online  1 at 1001
/// e1-2 online  2 at 2001
/// e1-3 offline 2 at 6501 signout
/// e1-4 online  2 at 7501
/// e1-5 offline 2 at 9501 signout
/// e1-6 online  3 at 12001
/// e1-7 online  2 at 14001
/// e1-8 offline 2 at 20001 timeout
/// </code>
/// Nodes read each line 5 ms after its at (<see cref="DebouncedItems"/>); query-1's process is <c>a1</c>, query-2's <c>b2</c>.
/// <list type="bullet">
/// <item>Subscriber 1, plain, watches 1 and 2: a fresh session on query-1 (snapshot e1-0, events 1–4), left at 9,200.</item>
/// <item>Subscriber 2, debounce 3 s, watches 1 and 2: fresh on query-1 (snapshot at 1,000, online 1 and online 2),
/// left at 8,000; resumed on query-1 from e1-2-2006-a1-3: the blink e1-3/e1-4 was cancelled, so offline e1-5 (sent
/// at 12,501) and online e1-7; left at 16,000; resumed on query-2 from e1-7-14006-a1-3: another node, so a
/// snapshot (e1-7), then offline e1-8 (at 23,001). Open at the end.</item>
/// <item>Subscriber 3, debounce 2 s, watches 2: fresh on query-2 at 10,000, a snapshot at e1-5 (read at 9,506)
/// showing user 2 online (its offline e1-5 held until 11,501), then offline e1-5, online e1-7, offline e1-8. Open.</item>
/// <item>Subscriber 4, debounce 1 s, watches 2: a garbage Last-Event-ID on query-1 at 12,500, answered with a
/// snapshot at e1-6 (read at 12,006, after e1-5 was due at 10,501: user 2 offline), then online e1-7 and
/// offline e1-8. Open.</item>
/// </list>
/// </summary>
internal static class DebouncedHistory
{
    public static HistoryBuilder Builder(Action<HistoryBuilder>? more = null)
    {
        var builder = new HistoryBuilder()
            .Heartbeats(user: 1, fromMs: 1000, toMs: 28_000)
            .Heartbeats(user: 2, fromMs: 2000, toMs: 6000)
            .SignOut(user: 2, sentMs: 6500)
            .Heartbeats(user: 2, fromMs: 7500, toMs: 9000)
            .SignOut(user: 2, sentMs: 9500)
            .Heartbeats(user: 2, fromMs: 14_000, toMs: 15_000)
            .Heartbeats(user: 3, fromMs: 12_000, toMs: 28_000)
            .Subscriber(1, 1, 2)
            .Subscriber(2, 1, 2)
            .Subscriber(3, 2)
            .Subscriber(4, 2);
        more?.Invoke(builder);
        return builder;
    }

    /// <summary>The sessions of the story above.</summary>
    public static HistoryBuilder WithDebouncedSessions(this HistoryBuilder builder) => builder
        .Session(1, "query-1", 1000, 9200, ResumeKind.Fresh, null, Items.Snapshot("e1", 0, 1000), Items.Events("e1", 0, 4))
        .DebouncedSession(2, 3, "query-1", 1000, 8000, ResumeKind.Fresh, null,
            DebouncedItems.Snapshot("e1", 0, 3, "a1", 1000), DebouncedItems.Events("e1", 3, "a1", 1000, 0, throughKeyMs: 8000))
        .DebouncedSession(2, 3, "query-1", 8100, 16_000, ResumeKind.Resume, "e1-2-2006-a1-3",
            DebouncedItems.Events("e1", 3, "a1", 2006, 2, throughKeyMs: 16_000))
        .DebouncedSession(2, 3, "query-2", 16_100, null, ResumeKind.Resume, "e1-7-14006-a1-3",
            DebouncedItems.Snapshot("e1", 7, 3, "b2", 16_100), DebouncedItems.Events("e1", 3, "b2", 14_006, 7))
        .DebouncedSession(3, 2, "query-2", 10_000, null, ResumeKind.Fresh, null,
            DebouncedItems.Snapshot("e1", 5, 2, "b2", 10_000), DebouncedItems.Events("e1", 2, "b2", 9506, 5))
        .DebouncedSession(4, 1, "query-1", 12_500, null, ResumeKind.Garbage, "garbage-1x",
            DebouncedItems.Snapshot("e1", 6, 1, "a1", 12_500), DebouncedItems.Events("e1", 1, "a1", 12_006, 6));

    public static RunHistory Build() => Builder().WithDebouncedSessions().Build();
}
