namespace Presence.Bench.Events;

/// <summary>A Prometheus histogram's cumulative bucket counts (upper bounds ascending, the last +Inf) and its sum.</summary>
internal sealed record HistogramCounts(double[] UpperBounds, double[] Cumulative, double Sum)
{
    public double Count => Cumulative.Length == 0 ? 0 : Cumulative[^1];

    /// <summary>What was observed between <paramref name="earlier"/> and this scrape.</summary>
    public HistogramCounts Minus(HistogramCounts earlier)
    {
        if (earlier.Cumulative.Length == 0)
            return this;
        if (earlier.Cumulative.Length != Cumulative.Length)
            throw new InvalidOperationException("the histogram's buckets changed between scrapes");
        return new HistogramCounts(UpperBounds, [.. Cumulative.Select((c, i) => c - earlier.Cumulative[i])], Sum - earlier.Sum);
    }

    /// <summary>
    /// The <paramref name="q"/> quantile as Prometheus' histogram_quantile estimates it: linear within
    /// the bucket that holds it (from 0 in the first); the highest finite bound when it falls in +Inf.
    /// NaN when nothing was observed.
    /// </summary>
    public double Quantile(double q)
    {
        if (Count == 0)
            return double.NaN;
        double rank = q * Count;
        for (int i = 0; i < Cumulative.Length; i++)
        {
            if (Cumulative[i] < rank)
                continue;
            if (double.IsPositiveInfinity(UpperBounds[i]))
                return i > 0 ? UpperBounds[i - 1] : double.NaN;
            double lower = i == 0 ? 0 : UpperBounds[i - 1];
            double below = i == 0 ? 0 : Cumulative[i - 1];
            double inBucket = Cumulative[i] - below;
            return inBucket == 0 ? UpperBounds[i] : lower + (UpperBounds[i] - lower) * (rank - below) / inBucket;
        }
        return UpperBounds[^1];
    }

    /// <summary>The upper bound of the highest bucket with an observation (the largest value is at most this); +Inf past the last bound.</summary>
    public double MaxBound()
    {
        for (int i = Cumulative.Length - 1; i >= 0; i--)
        {
            double below = i == 0 ? 0 : Cumulative[i - 1];
            if (Cumulative[i] > below)
                return UpperBounds[i];
        }
        return double.NaN;
    }
}
