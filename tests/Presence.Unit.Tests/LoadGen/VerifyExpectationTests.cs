using Presence.LoadGen;
using Presence.LoadGen.Internal;

namespace Presence.Unit.Tests.LoadGen;

/// <summary>Which users --verify asks about, derived from the slot counter and the clock's checkpoints.</summary>
public sealed class VerifyExpectationTests
{
    private const long T0 = 1_764_270_000_000;

    [Fact]
    public void RecentlySent_OnlyUsersWhoseHeartbeatIsYoungerThanTheTtl_OldestFirst()
    {
        // 100 users, one slot every 100 ms (interval 10 s), 30 s sent: slot s went out at T0 + 100·s ms.
        var schedule = new HeartbeatSchedule(1, 100, 10);
        var clock = new SlotClock(TimeSpan.FromSeconds(5));
        for (long s = 0; s <= 300; s++)
            clock.Add(s, T0 + s * 100);
        long now = T0 + 30_000;

        var expected = LoadRunner.RecentlySent(schedule, slotsBuilt: 300, clock, ttlMs: 5000, now).ToList();

        // Young enough: sent at or after now − ttl + the 1 s guard = T0 + 26 s, i.e. slots 260 … 299.
        Assert.Equal(Enumerable.Range(260, 40).Select(s => schedule.UserAt(s)), expected.Select(e => e.UserId));
        Assert.Equal(T0 + 26_000 + 5000 - 1000, expected[0].UntilUnixMs);
        Assert.Equal(T0 + 29_900 + 5000 - 1000, expected[^1].UntilUnixMs);
    }

    [Fact]
    public void RecentlySent_MoreThanOneRoundInTheTtl_EachUserOnce()
    {
        var schedule = new HeartbeatSchedule(1, 50, 1); // 50 slots/s
        var clock = new SlotClock(TimeSpan.FromSeconds(30));
        for (long s = 0; s <= 500; s += 5)
            clock.Add(s, T0 + s * 20);

        var expected = LoadRunner.RecentlySent(schedule, 500, clock, ttlMs: 30_000, nowMs: T0 + 10_000).ToList();

        Assert.Equal(50, expected.Count);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (ulong)i), expected.Select(e => e.UserId).Order());
    }

    [Fact]
    public void RecentlySent_Churn_OnlyUsersWhoseLatestSlotWasAHeartbeat()
    {
        // 100 users, 10 churning (active 10 s, silent 35 s), a slot every 100 ms; 60 s sent.
        var schedule = new HeartbeatSchedule(1, 100, 10, churn: new ChurnPlan(100, 0.1, 10, 35, 0.5));
        var clock = new SlotClock(TimeSpan.FromSeconds(30));
        for (long s = 0; s <= 600; s++)
            clock.Add(s, T0 + s * 100);

        var expected = LoadRunner.RecentlySent(schedule, 600, clock, ttlMs: 30_000, nowMs: T0 + 60_000).ToList();

        var quiet = Enumerable.Range(500, 100).Where(s => schedule.ActionAt(s) != SlotAction.Heartbeat).Select(s => schedule.UserAt(s)).ToHashSet();
        Assert.NotEmpty(quiet); // some churning users are silent or signed off at their latest slot
        Assert.Equal(100 - quiet.Count, expected.Count);
        Assert.DoesNotContain(expected, e => quiet.Contains(e.UserId));
    }

    [Fact]
    public void RecentlySent_NothingSent_NothingExpected()
    {
        var clock = new SlotClock(TimeSpan.FromSeconds(30));
        clock.Add(0, T0);
        Assert.Empty(LoadRunner.RecentlySent(new HeartbeatSchedule(1, 10, 1), 0, clock, 30_000, T0 + 100));
    }
}
