namespace Presence.Bench.EndToEnd;

/// <summary>
/// Which rates one system is run at: a coarse ladder upwards until the first point that loses
/// more than 0.1% of heartbeats (or the generator falls short of the offered rate), then
/// <c>refine</c> rounds of bisection between the highest loss-free rate below it and it, so the
/// steps are finest near the system's ceiling. Each point is the median of its runs.
/// </summary>
internal sealed class Ladder(SystemKind system, int[] coarse, int refine)
{
    private readonly List<RunResult> _points = [];
    private int _coarseNext;
    private bool _coarseDone;
    private int _refined;
    private int? _pending;

    public SystemKind System { get; } = system;

    /// <summary>Medians per point, in the order run.</summary>
    public IReadOnlyList<RunResult> Points => _points;

    /// <summary>The next rate to run, or null when the ladder is done.</summary>
    public int? Next()
    {
        if (_pending is int pending)
            return pending;
        if (!_coarseDone && _coarseNext < coarse.Length)
            return _pending = coarse[_coarseNext++];
        _coarseDone = true;
        if (_refined >= refine || LowestFail() is not int fail || _points.Any(p => !p.RateReached && p.LossFree))
            return null;
        int pass = HighestPassBelow(fail) ?? 0;
        int mid = Round((pass + fail) / 2);
        if (mid <= pass || mid >= fail || _points.Any(p => p.OfferedRate == mid))
            return null;
        _refined++;
        return _pending = mid;
    }

    public void Record(RunResult median)
    {
        _pending = null;
        _points.Add(median);
        if (!median.LossFree || !median.RateReached)
            _coarseDone = true; // a loss, or a generator short of the rate: higher rates would tell no more
    }

    /// <summary>The highest loss-free rate (generator at the offered rate) below every failing rate; null when none.</summary>
    public int? Ceiling() => HighestPassBelow(LowestFail() ?? int.MaxValue);

    /// <summary>Whether <see cref="Ceiling"/> is only a lower bound: no rate tried lost more than 0.1%.</summary>
    public bool CeilingIsLowerBound => LowestFail() is null;

    /// <summary>The same judgement by the old metric (≤ 0.1% of users with no key), over the points run.</summary>
    public int? OldCeiling()
    {
        int fail = _points.Where(p => p.LostUsersPercent > 0.1).Select(p => p.OfferedRate).DefaultIfEmpty(int.MaxValue).Min();
        return _points.Where(p => p.RateReached && p.LostUsersPercent <= 0.1 && p.OfferedRate < fail).Select(p => (int?)p.OfferedRate).Max();
    }

    private int? LowestFail() => _points.Where(p => !p.LossFree).Select(p => (int?)p.OfferedRate).Min();

    private int? HighestPassBelow(int fail) =>
        _points.Where(p => p.LossFree && p.RateReached && p.OfferedRate < fail).Select(p => (int?)p.OfferedRate).Max();

    /// <summary>Two significant digits and a half: 452,123 → 450,000; 47,600 → 47,500.</summary>
    internal static int Round(int rate)
    {
        if (rate < 100)
            return rate;
        int step = (int)Math.Pow(10, Math.Floor(Math.Log10(rate)) - 1) / 2;
        return Math.Max(step, (int)Math.Round((double)rate / step) * step);
    }
}
