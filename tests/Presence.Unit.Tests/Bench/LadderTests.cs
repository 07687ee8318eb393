using Presence.Bench.EndToEnd;

namespace Presence.Unit.Tests.Bench;

public sealed class LadderTests
{
    [Fact]
    public void Next_CoarseUntilTheFirstLoss_ThenBisectsTowardsTheCeiling()
    {
        var ladder = new Ladder(SystemKind.Presence, [100_000, 200_000, 400_000, 800_000], refine: 2);
        // The system loses more than 0.1% from 330,000/s up.
        var order = new List<int>();
        while (ladder.Next() is int rate)
        {
            order.Add(rate);
            ladder.Record(Point(rate, loss: rate >= 330_000 ? 5 : 0));
        }

        Assert.Equal([100_000, 200_000, 400_000, 300_000, 350_000], order);
        Assert.Equal(300_000, ladder.Ceiling());
        Assert.False(ladder.CeilingIsLowerBound);
    }

    [Fact]
    public void Next_GeneratorShortAndLossFree_StopsWithALowerBound()
    {
        var ladder = new Ladder(SystemKind.Presence, [100_000, 200_000, 400_000], refine: 2);
        var order = new List<int>();
        while (ladder.Next() is int rate)
        {
            order.Add(rate);
            ladder.Record(Point(rate, loss: 0, sent: Math.Min(rate, 250_000)));
        }

        Assert.Equal([100_000, 200_000, 400_000], order);
        Assert.Equal(200_000, ladder.Ceiling()); // 400,000 was not reached: it does not count
        Assert.True(ladder.CeilingIsLowerBound);
    }

    [Fact]
    public void OldCeiling_JudgesLostUsersOnTheSamePoints()
    {
        var ladder = new Ladder(SystemKind.Baseline, [10_000, 20_000, 40_000], refine: 0);
        while (ladder.Next() is int rate)
            ladder.Record(Point(rate, loss: rate >= 20_000 ? 12 : 0, missing: rate >= 40_000 ? 0.5 : 0));

        Assert.Equal(10_000, ladder.Ceiling());
        Assert.Equal(20_000, ladder.OldCeiling()); // 12% of heartbeats lost at 20,000/s, yet every user has a key
    }

    [Theory]
    [InlineData(452_123, 450_000)]
    [InlineData(47_600, 47_500)]
    [InlineData(425_000, 425_000)]
    [InlineData(2_750_000, 2_750_000)]
    [InlineData(99, 99)]
    public void Round_TwoAndAHalfSignificantDigits(int rate, int expected) => Assert.Equal(expected, Ladder.Round(rate));

    private static RunResult Point(int rate, double loss, double sent = -1, double missing = 0)
    {
        const long users = 1_000_000;
        return new RunResult(SystemKind.Presence, rate, sent < 0 ? rate : sent, users, users * 3, 0, users * 3, users * 3,
            Stale: (long)(users * loss / 100), Missing: (long)(users * missing / 100), 0, 0, new Dictionary<string, long>(),
            default, 0, double.NaN, double.NaN, 0, 0, "");
    }
}
