using System.Globalization;
using Presence.Core.Events;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Events;

/// <summary>
/// The events log's append script (<see cref="EventLogScripts.Append"/>) against a real redis-server:
/// per user, lines alternate and <c>at</c> never goes backwards, whatever order two ingesters (or a
/// sweep and a write) send one user's offline and online in.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class EventLogAppendScriptTests(RedisFixture redis)
{
    private const long TtlMs = 10_000;

    private static Task AppendAsync(IDatabase db, EventLogKeys keys, params (char Kind, ulong User, long At)[] lines) => AppendAsync(db, keys, 0, lines);

    private static async Task AppendAsync(IDatabase db, EventLogKeys keys, long nowMs, params (char Kind, ulong User, long At)[] lines)
    {
        var args = new List<RedisValue> { EventLogKeys.NewEpoch(), keys.OnlinePrefix, 0, TtlMs, nowMs };
        foreach (var (kind, user, at) in lines)
        {
            args.Add(kind.ToString());
            args.Add(user.ToString(CultureInfo.InvariantCulture));
            args.Add(EventLogKeys.Bucket(user));
            args.Add(at);
        }
        await db.ScriptEvaluateAsync(EventLogScripts.Append, [keys.Seq, keys.Log, keys.Epoch], [.. args]);
    }

    private static async Task<EventLogLine[]> LinesAsync(IDatabase db, EventLogKeys keys) => [.. await EventLogLines.ReadAsync(db, keys)];

    [Fact]
    public async Task Append_OnlineDatedBeforeTheUsersLastOffline_IsDatedAtThatOffline()
    {
        // Seen by the fault-schedule run: one ingester's timeout at 2,000 appended before another's
        // online of a heartbeat received at 1,954 (both true; their order in time is not the log's).
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new EventLogKeys(TestKeys.Prefix());
        await AppendAsync(db, keys, ('n', 7, 1_000), ('n', 8, 1_000));
        await AppendAsync(db, keys, ('t', 7, 2_000), ('s', 8, 2_000));
        await AppendAsync(db, keys, ('n', 7, 1_954), ('n', 8, 2_500));

        var lines = await LinesAsync(db, keys);
        Assert.Equal([1_000L, 2_000, 2_000], lines.Where(l => l.UserId == 7).Select(l => l.AtMs));
        Assert.Equal([1_000L, 2_000, 2_500], lines.Where(l => l.UserId == 8).Select(l => l.AtMs)); // a later online keeps its own time
    }

    [Fact]
    public async Task Append_OnlineDroppedWhileTheLogHasTheUserOnline_ThenTheOldPeriodsLateTimeout_EndsOnline()
    {
        // The quiet 10-minute fault run: ingester A watched user 7 (online since 1,000) and its expiry check
        // found the key gone at 10,510; ingester B's SET … GET of a heartbeat received at 10,480 found no key and
        // sent the new period's online first. The log, still holding 7 online, dropped that online, then took
        // A's timeout: offline for good while the key existed. Kept, the online follows the late timeout.
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new EventLogKeys(TestKeys.Prefix());
        await AppendAsync(db, keys, ('n', 7, 1_000));
        await AppendAsync(db, keys, ('n', 7, 10_480)); // B: a new period the log does not know of yet
        await AppendAsync(db, keys, ('t', 7, 10_510)); // A: the old period's end

        var lines = (await LinesAsync(db, keys)).Where(l => l.UserId == 7).ToList();
        Assert.Equal([(TransitionKind.Online, 1_000L), (TransitionKind.Timeout, 10_510L), (TransitionKind.Online, 10_510L)],
            lines.Select(l => (l.Kind, l.AtMs)));
    }

    [Fact]
    public async Task Append_TimeoutDatedBeforeThePeriodTheLogHas_Dropped_ThatPeriodsOwnTimeoutEndsIt()
    {
        // Seen by the fault-schedule run (quick, seed 19): ingester A's last heartbeat of user 7 was at 1,000;
        // ingester B took the user's sign-out at 2,000, then a heartbeat at 11,007 began a new period. A's expiry
        // check had found the old key gone (at 1,000 + ttl = 11,000) just before B's write, and its timeout reached
        // the log after B's online: taken as the new period's end (dated 11,007), the log held 7 offline for good
        // while its key lived. A timeout dated before the period's start ends an earlier period: dropped.
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new EventLogKeys(TestKeys.Prefix());
        await AppendAsync(db, keys, ('n', 7, 1_000));
        await AppendAsync(db, keys, ('s', 7, 2_000));
        await AppendAsync(db, keys, ('n', 7, 11_007));
        await AppendAsync(db, keys, ('t', 7, 11_000)); // A: stale
        Assert.Equal([(TransitionKind.Online, 1_000L), (TransitionKind.Signout, 2_000L), (TransitionKind.Online, 11_007L)],
            (await LinesAsync(db, keys)).Select(l => (l.Kind, l.AtMs)));
        Assert.Equal("11007", (string?)await db.HashGetAsync(keys.OnlinePrefix + EventLogKeys.Bucket(7), "7")); // still online since then

        await AppendAsync(db, keys, ('t', 7, 21_007)); // the new period's own end
        Assert.Equal((TransitionKind.Timeout, 21_007L), (await LinesAsync(db, keys)).Select(l => (l.Kind, l.AtMs)).Last());
    }

    [Fact]
    public async Task Append_TimeoutDatedAtTheStartOfThePeriodTheLogHas_Dropped()
    {
        // Seen by the quick fault-schedule run again (seed 19, 2026-12-06 16:18): the same race as above, with the old
        // period's timeout (its last write + ttl) and the new period's first receive on the same millisecond. A period's
        // own timeout is always after its start (a ttl after a receive of it), so one dated at the start ends an earlier period.
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new EventLogKeys(TestKeys.Prefix());
        await AppendAsync(db, keys, ('n', 7, 1_000));
        await AppendAsync(db, keys, ('s', 7, 2_000));
        await AppendAsync(db, keys, ('n', 7, 11_000));
        await AppendAsync(db, keys, ('t', 7, 11_000)); // the old period's end, on the new one's first millisecond
        Assert.Equal([(TransitionKind.Online, 1_000L), (TransitionKind.Signout, 2_000L), (TransitionKind.Online, 11_000L)],
            (await LinesAsync(db, keys)).Select(l => (l.Kind, l.AtMs)));
        Assert.Equal("11000", (string?)await db.HashGetAsync(keys.OnlinePrefix + EventLogKeys.Bucket(7), "7"));

        await AppendAsync(db, keys, ('t', 7, 11_001)); // any later timeout is the period's own end
        Assert.Equal((TransitionKind.Timeout, 11_001L), (await LinesAsync(db, keys)).Select(l => (l.Kind, l.AtMs)).Last());
    }

    [Fact]
    public async Task Append_OnlineDatedAtALaterOffline_ThenItsOwnTimeoutDatedBeforeThat_EndsIt()
    {
        // The quick fault-schedule run (seed 19, 2026-12-07 15:46): ingester A held user 7's lines while its appends
        // failed (the store restarted, then a partition): period 1's end at 28,838 and period 2's online (a write
        // after the partition found no key), then period 2's timeout at 30,791 (its last receive + ttl). Meanwhile B
        // started, swept the log's online set and found the key (period 2's) gone at 31,326. A's online, dated before
        // that offline, is dated at it; A's timeout was then taken for an earlier period's (dated at or before the
        // start the log has) and dropped: the log held 7 online for good with no key. An online the log dated later
        // than its own at keeps that at for judging timeouts: one after it ends the period (dated at its start).
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new EventLogKeys(TestKeys.Prefix());
        await AppendAsync(db, keys, ('n', 7, 20_791), ('n', 8, 20_791));
        await AppendAsync(db, keys, ('t', 7, 31_326), ('t', 8, 31_326)); // B's sweep
        await AppendAsync(db, keys, ('t', 7, 28_838), ('n', 7, 28_838), ('n', 8, 31_000)); // A's backlog
        await AppendAsync(db, keys, ('t', 7, 28_838), ('t', 8, 31_000)); // at each online's own at: an earlier period's end, dropped
        Assert.Equal("31326", (string?)await db.HashGetAsync(keys.OnlinePrefix + EventLogKeys.Bucket(7), "7"));
        Assert.Equal("31326", (string?)await db.HashGetAsync(keys.OnlinePrefix + EventLogKeys.Bucket(8), "8"));
        await AppendAsync(db, keys, ('t', 7, 30_791), ('t', 8, 31_001)); // A's watcher: period 2's own end

        var lines = await LinesAsync(db, keys);
        Assert.Equal([(TransitionKind.Online, 20_791L), (TransitionKind.Timeout, 31_326L), (TransitionKind.Online, 31_326L), (TransitionKind.Timeout, 31_326L)],
            lines.Where(l => l.UserId == 7).Select(l => (l.Kind, l.AtMs)));
        Assert.Equal([(TransitionKind.Online, 20_791L), (TransitionKind.Timeout, 31_326L), (TransitionKind.Online, 31_326L), (TransitionKind.Timeout, 31_326L)],
            lines.Where(l => l.UserId == 8).Select(l => (l.Kind, l.AtMs)));
        Assert.False(await db.HashExistsAsync(keys.OnlinePrefix + EventLogKeys.Bucket(7), "7"));

        // Once the period ended, its own at is forgotten: the next period's start judges timeouts again.
        await AppendAsync(db, keys, ('n', 7, 40_000));
        await AppendAsync(db, keys, ('t', 7, 39_000));
        Assert.Equal((TransitionKind.Online, 40_000L), (await LinesAsync(db, keys)).Where(l => l.UserId == 7).Select(l => (l.Kind, l.AtMs)).Last());
    }

    [Fact]
    public async Task Append_SignOutDatedBeforeThePeriodTheLogHas_Dropped_ALaterOneEndsIt()
    {
        // The quick fault-schedule run (seed 14, 2026-12-07 16:36): ingester A wrote user 7 after an empty store restart
        // (online 30,861) and took its sign-out (31,949, the DEL removed the key), but its appends were failing; the user came
        // back through B (online 33,949), whose line reached the new log first. A's backlog then arrived: the online dropped
        // (the log had 7 online), the sign-out taken as the new period's end: offline for good while the key lived. A
        // sign-out dated before the period's start ends an earlier period (the user came back after it): dropped.
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new EventLogKeys(TestKeys.Prefix());
        await AppendAsync(db, keys, ('n', 7, 33_949));                    // B
        await AppendAsync(db, keys, ('n', 7, 30_861), ('s', 7, 31_949)); // A's backlog
        Assert.Equal([(TransitionKind.Online, 33_949L)], (await LinesAsync(db, keys)).Select(l => (l.Kind, l.AtMs)));

        await AppendAsync(db, keys, ('s', 7, 33_949)); // a sign-out on the start's own millisecond ends it
        Assert.Equal([(TransitionKind.Online, 33_949L), (TransitionKind.Signout, 33_949L)], (await LinesAsync(db, keys)).Select(l => (l.Kind, l.AtMs)));
    }

    [Fact]
    public async Task Append_OnlineKeptAside_ThenTheOldPeriodsSignOutDatedBeforeIt_EndsOnline()
    {
        // The log has 7 online since 1,000; A's SET … GET found no key and sent a new period's online (5,000), kept aside;
        // then B's sign-out of the old period (received at 4,000, before that online) arrives: the old period ends, and the
        // new one begins after it. A sign-out dated after the kept online (6,000) ends both: nothing is replayed.
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new EventLogKeys(TestKeys.Prefix());
        await AppendAsync(db, keys, ('n', 7, 1_000), ('n', 8, 1_000));
        await AppendAsync(db, keys, ('n', 7, 5_000), ('n', 8, 5_000));
        await AppendAsync(db, keys, ('s', 7, 4_000), ('s', 8, 6_000));

        var lines = await LinesAsync(db, keys);
        Assert.Equal([(TransitionKind.Online, 1_000L), (TransitionKind.Signout, 4_000L), (TransitionKind.Online, 5_000L)],
            lines.Where(l => l.UserId == 7).Select(l => (l.Kind, l.AtMs)));
        Assert.Equal([(TransitionKind.Online, 1_000L), (TransitionKind.Signout, 6_000L)], lines.Where(l => l.UserId == 8).Select(l => (l.Kind, l.AtMs)));
    }

    [Fact]
    public async Task Append_SweptTimeout_EndsOnlyThePeriodTheSweepSaw_DatedNow()
    {
        // The quick fault-schedule run (seed 19, 2026-12-07 16:50): a restarted ingester's sweep read user 7 online since
        // 18,416 (the timeout of that period was still in another ingester's backlog); the key was gone when it looked, at
        // 34,073. Meanwhile that timeout (30,520) and a new period's online (33,980, another ingester) reached the log, and
        // the sweep's timeout, dated after the new online, ended the new period: offline for good while the key lived. A
        // swept timeout ('w', at = the online's at the sweep read) ends only that period, dated at the call's now.
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new EventLogKeys(TestKeys.Prefix());
        await AppendAsync(db, keys, ('n', 7, 18_416), ('n', 8, 18_416));
        await AppendAsync(db, keys, ('t', 7, 30_520), ('n', 7, 33_980));
        await AppendAsync(db, keys, 34_073, ('w', 7, 18_416), ('w', 8, 18_416));

        var lines = await LinesAsync(db, keys);
        Assert.Equal([(TransitionKind.Online, 18_416L), (TransitionKind.Timeout, 30_520L), (TransitionKind.Online, 33_980L)],
            lines.Where(l => l.UserId == 7).Select(l => (l.Kind, l.AtMs)));
        Assert.Equal([(TransitionKind.Online, 18_416L), (TransitionKind.Timeout, 34_073L)], lines.Where(l => l.UserId == 8).Select(l => (l.Kind, l.AtMs)));
        await AppendAsync(db, keys, 34_100, ('w', 8, 18_416)); // the log has it offline: nothing
        Assert.Equal(5, (await LinesAsync(db, keys)).Length);
    }

    [Fact]
    public async Task Append_RelayedOnline_TakenOnlyRightAfterTheTimeoutItFollowsEndedAPeriod()
    {
        // An ingester's expiry check found its user's key written since by another ingester after it had lapsed: it sends the
        // period's timeout (11,000) and the new period's online (12,000: 'a', relayed, in case the other's online was a possible
        // one the log dropped). The quick fault run (seed 49, 2026-12-07): such a pair reached the log late, after the new
        // period had come and gone (user 9: the other ingester's online, kept aside, and its sign-out), or into a new epoch after an
        // empty store restart (user 8): the timeout was dropped and the online taken, online for good with no key. A relayed
        // online is taken only right after its timeout in the same call, when that timeout ended a period (the appender keeps
        // the two together); else it is dropped (user 10: alone in a later call). And only when it is dated no earlier than
        // that timeout's line (user 11: the ingester's own online came late too, and the log dated it at the other ingester's
        // timeout, 20,000, after the relayed online's period had ended; the timeout ends that period, dated there).
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new EventLogKeys(TestKeys.Prefix());
        await AppendAsync(db, keys, ('n', 7, 1_000), ('n', 9, 1_000), ('n', 10, 1_000), ('n', 11, 1_000));
        await AppendAsync(db, keys, ('t', 11, 20_000), ('n', 11, 5_000)); // the other ingester's timeout, then this one's late online
        await AppendAsync(db, keys, ('n', 9, 12_000), ('s', 9, 13_000)); // the other ingester's period of 9
        await AppendAsync(db, keys, ('t', 7, 11_000), ('a', 7, 12_000), ('t', 8, 11_000), ('a', 8, 12_000), ('t', 9, 11_000), ('a', 9, 12_000), ('t', 10, 11_000),
            ('t', 11, 15_000), ('a', 11, 12_000));
        await AppendAsync(db, keys, ('a', 10, 12_000));

        var lines = await LinesAsync(db, keys);
        Assert.Equal([(TransitionKind.Online, 1_000L), (TransitionKind.Timeout, 11_000L), (TransitionKind.Online, 12_000L)],
            lines.Where(l => l.UserId == 7).Select(l => (l.Kind, l.AtMs)));
        Assert.DoesNotContain(lines, l => l.UserId == 8);
        Assert.Equal([(TransitionKind.Online, 1_000L), (TransitionKind.Signout, 13_000L)], lines.Where(l => l.UserId == 9).Select(l => (l.Kind, l.AtMs)));
        Assert.Equal([(TransitionKind.Online, 1_000L), (TransitionKind.Timeout, 11_000L)], lines.Where(l => l.UserId == 10).Select(l => (l.Kind, l.AtMs)));
        Assert.Equal([(TransitionKind.Online, 1_000L), (TransitionKind.Timeout, 20_000L), (TransitionKind.Online, 20_000L), (TransitionKind.Timeout, 20_000L)],
            lines.Where(l => l.UserId == 11).Select(l => (l.Kind, l.AtMs)));
    }

    [Fact]
    public async Task Append_DuplicateOrPossibleOnlineOfTheCurrentPeriod_ThenItsTimeout_EndsOffline()
    {
        // A second online of the period the log has (at its own at or before), or a possible online, is
        // dropped and not kept: the period's timeout ends it. A kept online past a ttl is not replayed
        // either, nor after a sign-out.
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new EventLogKeys(TestKeys.Prefix());
        await AppendAsync(db, keys, ('n', 7, 1_000), ('n', 8, 1_000), ('n', 9, 1_000));
        await AppendAsync(db, keys, ('n', 7, 1_000), ('p', 8, 5_000), ('n', 9, 5_000));
        await AppendAsync(db, keys, ('t', 7, 11_000), ('t', 8, 15_000), ('s', 9, 5_100));
        var ten = new EventLogKeys(TestKeys.Prefix());
        await AppendAsync(db, ten, ('n', 10, 1_000));
        await AppendAsync(db, ten, ('n', 10, 5_000));
        await AppendAsync(db, ten, ('t', 10, 15_000)); // a ttl after the dropped online: a later period's end

        var lines = await LinesAsync(db, keys);
        foreach (ulong user in new ulong[] { 7, 8, 9 })
            Assert.Equal(TransitionKind.Online, lines.Where(l => l.UserId == user).Select(l => l.Kind).First());
        Assert.All(new ulong[] { 7, 8, 9 }, user => Assert.Equal(2, lines.Count(l => l.UserId == user)));
        Assert.Equal(2, (await LinesAsync(db, ten)).Length);
    }

    [Fact]
    public async Task Append_OfflineOlderThanAMinuteBeforeTheNewest_IsForgotten()
    {
        // The recent-offline set is bounded: 60 s behind the newest transition appended.
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new EventLogKeys(TestKeys.Prefix());
        await AppendAsync(db, keys, ('n', 7, 1_000), ('n', 9, 1_000));
        await AppendAsync(db, keys, ('t', 7, 2_000));
        Assert.Equal(2_000, await db.SortedSetScoreAsync(keys.RecentOffline, "7"));
        await AppendAsync(db, keys, ('t', 9, 62_001));

        Assert.Null(await db.SortedSetScoreAsync(keys.RecentOffline, "7"));
        Assert.Equal(62_001, await db.SortedSetScoreAsync(keys.RecentOffline, "9"));
    }
}
