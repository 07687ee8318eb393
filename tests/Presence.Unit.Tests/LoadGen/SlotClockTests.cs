using Presence.LoadGen.Internal;

namespace Presence.Unit.Tests.LoadGen;

public sealed class SlotClockTests
{
    [Fact]
    public void SentNotBefore_LatestCheckpointThatHadNotBuiltTheSlot()
    {
        var clock = new SlotClock(TimeSpan.FromSeconds(30));
        clock.Add(0, 1000);
        clock.Add(10, 1100);
        clock.Add(10, 1200); // nothing built in between
        clock.Add(25, 1300);

        Assert.Equal(1000, clock.SentNotBefore(0));
        Assert.Equal(1000, clock.SentNotBefore(9));
        Assert.Equal(1200, clock.SentNotBefore(10));
        Assert.Equal(1200, clock.SentNotBefore(24));
        Assert.Equal(1300, clock.SentNotBefore(25));
        Assert.Equal(1300, clock.SentNotBefore(1_000_000));
    }

    [Fact]
    public void SentNotBefore_OlderThanTheRing_IsUnknown()
    {
        var clock = new SlotClock(TimeSpan.FromSeconds(1));
        for (int i = 0; i < clock.Capacity + 5; i++)
            clock.Add(i * 10, i * 100);

        Assert.Null(clock.SentNotBefore(0));
        Assert.Null(clock.SentNotBefore(49));
        Assert.Equal(500, clock.SentNotBefore(50));
    }

    [Fact]
    public void Capacity_ReachesBackTheSpanAndMore() =>
        Assert.True(new SlotClock(TimeSpan.FromSeconds(30)).Capacity * SlotClock.Spacing >= TimeSpan.FromSeconds(30));
}
