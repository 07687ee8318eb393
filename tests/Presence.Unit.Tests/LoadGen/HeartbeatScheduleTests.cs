using Presence.LoadGen.Internal;

namespace Presence.Unit.Tests.LoadGen;

public sealed class HeartbeatScheduleTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(1000)]
    [InlineData(4096)]
    [InlineData(65537)]
    public void IndexAt_OneRound_IsEveryUserExactlyOnce(int users)
    {
        var schedule = new HeartbeatSchedule(1, users, 10);
        var seen = new bool[users];
        int index = schedule.IndexAt(0);
        for (long slot = 0; slot < users; slot++)
        {
            Assert.Equal(schedule.IndexAt(slot), index); // the sequential step agrees with random access
            Assert.False(seen[index], $"user index {index} twice in one round");
            seen[index] = true;
            index = schedule.NextIndex(index);
        }
        Assert.All(seen, Assert.True);
        Assert.Equal(schedule.IndexAt(0), schedule.IndexAt(users)); // the next round repeats the order
    }

    [Fact]
    public void SlotsDueAt_UsersSpreadEvenlyOverTheInterval()
    {
        var schedule = new HeartbeatSchedule(1, 1000, 10);

        Assert.Equal(0, schedule.SlotsDueAt(-0.1));
        Assert.Equal(1, schedule.SlotsDueAt(0));        // slot 0 is due at the start
        Assert.Equal(1, schedule.SlotsDueAt(0.0099));
        Assert.Equal(2, schedule.SlotsDueAt(0.01));     // then one every interval / users = 10 ms
        Assert.Equal(501, schedule.SlotsDueAt(5));
        Assert.Equal(1001, schedule.SlotsDueAt(10));    // one interval: every user once, and the first again
        Assert.Equal(0.01, schedule.DueTime(1), 12);
        Assert.Equal(100, schedule.SlotsPerSecond);
    }

    [Fact]
    public void UserAt_EachUserKeepsItsPhase_HeartbeatsEveryInterval()
    {
        var schedule = new HeartbeatSchedule(500, 97, 10);
        for (long slot = 0; slot < 97; slot++)
        {
            ulong user = schedule.UserAt(slot);
            Assert.Equal(user, schedule.UserAt(slot + 97));
            Assert.Equal(10, schedule.DueTime(slot + 97) - schedule.DueTime(slot), 9);
        }
    }

    [Fact]
    public void UserAt_NeighbouringIds_AreNotSentTogether()
    {
        // Ids are scattered over the interval (each user's jitter): the first slots are not a run of ids.
        var schedule = new HeartbeatSchedule(1, 10_000, 10);
        var first = Enumerable.Range(0, 10).Select(s => schedule.UserAt(s)).ToArray();
        for (int i = 1; i < first.Length; i++)
            Assert.True(Math.Abs((long)first[i] - (long)first[i - 1]) > 100, $"slots {i - 1} and {i}: users {first[i - 1]}, {first[i]}");
    }

    [Fact]
    public void UserAt_DifferentSeeds_DifferentOrders()
    {
        var a = new HeartbeatSchedule(1, 1000, 10, seed: 1);
        var b = new HeartbeatSchedule(1, 1000, 10, seed: 2);
        Assert.NotEqual(Enumerable.Range(0, 20).Select(s => a.UserAt(s)), Enumerable.Range(0, 20).Select(s => b.UserAt(s)));
    }

    [Fact]
    public void UserAt_FirstId_UsersAreFirstToFirstPlusNMinus1()
    {
        var schedule = new HeartbeatSchedule(1_000_000, 50, 1);
        var users = Enumerable.Range(0, 50).Select(s => schedule.UserAt(s)).Order().ToArray();
        Assert.Equal(Enumerable.Range(1_000_000, 50).Select(i => (ulong)i), users);
        Assert.Equal(-1, schedule.IndexOfUser(999_999));
        Assert.Equal(49, schedule.IndexOfUser(1_000_049));
        Assert.Equal(-1, schedule.IndexOfUser(1_000_050));
    }

    [Fact]
    public void Flood_EverySlotDueAtOnce()
    {
        var schedule = new HeartbeatSchedule(1, 10, 0);
        Assert.True(schedule.IsFlood);
        Assert.Equal(long.MaxValue, schedule.SlotsDueAt(0));
    }

    [Fact]
    public void Constructor_LastIdPast2To64_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new HeartbeatSchedule(ulong.MaxValue - 1, 3, 10));
}
