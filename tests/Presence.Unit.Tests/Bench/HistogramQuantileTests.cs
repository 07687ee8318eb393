using Presence.Bench.EndToEnd;

namespace Presence.Unit.Tests.Bench;

public sealed class HistogramQuantileTests
{
    private const string Name = "presence_write_lag_seconds";

    [Fact]
    public void Quantile_BetweenTwoScrapes_InterpolatesInsideTheBucket()
    {
        var before = Scrape(("0.1", 100), ("0.5", 100), ("1", 100), ("+Inf", 100));
        // 100 more observations: 50 ≤ 0.1 s, 40 in (0.1, 0.5], 10 in (0.5, 1].
        var after = Scrape(("0.1", 150), ("0.5", 190), ("1", 200), ("+Inf", 200));

        Assert.Equal(0.1, Metrics.Quantile(after, before, Name, 0.5), 9);          // rank 50: the top of the first bucket
        Assert.Equal(0.5 + 0.5 * 0.9, Metrics.Quantile(after, before, Name, 0.99), 9); // rank 99: 9 of the last bucket's 10
        Assert.Equal(0.1 * 100 / 150, Metrics.Quantile(after, null, Name, 0.5), 9); // since the start: rank 100 of the first bucket's 150
    }

    [Fact]
    public void Quantile_NothingCounted_IsNaN_PastTheLastBucket_IsItsBound()
    {
        var same = Scrape(("0.1", 5), ("+Inf", 5));
        Assert.True(double.IsNaN(Metrics.Quantile(same, same, Name, 0.5)));

        var slow = Scrape(("0.1", 0), ("30", 1), ("+Inf", 10));
        Assert.Equal(30, Metrics.Quantile(slow, null, Name, 0.99));
    }

    private static Dictionary<string, double> Scrape(params (string Le, double Count)[] buckets) =>
        buckets.ToDictionary(b => $"{Name}_bucket{{le=\"{b.Le}\"}}", b => b.Count);
}
