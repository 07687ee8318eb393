namespace Presence.Bench.EndToEnd;

/// <summary>
/// Which rates one system is run at: a coarse ladder upwards until the first point that loses
/// more than 0.1% of heartbeats by every judgement run (at stop and drained: in practice the
/// drained one, the more lenient), or the generator falls short of the offered rate; then, per
/// judgement (at stop first), <c>refine</c> rounds of bisection between the highest loss-free rate
/// below its first failing rate and that rate, so the steps are finest near each ceiling. Each
/// point is the median of its runs.
/// </summary>
internal sealed class Ladder(SystemKind system, int[] coarse, int refine, IReadOnlyList<Judgement>? judgements = null)
{
    private readonly List<RunResult> _points = [];
    private readonly Dictionary<Judgement, int> _refined = [];
    private int _coarseNext;
    private bool _coarseDone;
    private int? _pending;

    public SystemKind System { get; } = system;

    /// <summary>The judgements the ladder steps by (default: drained only, the method before at-stop judging).</summary>
    public IReadOnlyList<Judgement> Judgements { get; } = judgements is { Count: > 0 } ? judgements : [Judgement.Drained];

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
        foreach (var judgement in Judgements.OrderBy(j => j))
        {
            if (_refined.GetValueOrDefault(judgement) >= refine || LowestFail(judgement) is not int fail
                || _points.Any(p => !p.RateReached && p.LossFreeBy(judgement)))
                continue;
            int pass = HighestPassBelow(judgement, fail) ?? 0;
            int mid = Round((pass + fail) / 2);
            if (mid <= pass || mid >= fail || _points.Any(p => p.OfferedRate == mid))
                continue;
            _refined[judgement] = _refined.GetValueOrDefault(judgement) + 1;
            return _pending = mid;
        }
        return null;
    }

    public void Record(RunResult median)
    {
        _pending = null;
        _points.Add(median);
        if (Judgements.All(j => !median.LossFreeBy(j)) || !median.RateReached)
            _coarseDone = true; // a loss by every judgement, or a generator short of the rate: higher rates would tell no more
    }

    /// <summary>The highest loss-free rate after the drain (generator at the offered rate) below every failing rate; null when none.</summary>
    public int? Ceiling() => Ceiling(Judgement.Drained);

    /// <summary>The highest rate loss-free by <paramref name="judgement"/> (generator at the offered rate) below every rate failing it; null when none.</summary>
    public int? Ceiling(Judgement judgement) => HighestPassBelow(judgement, LowestFail(judgement) ?? int.MaxValue);

    /// <summary>Whether <see cref="Ceiling()"/> is only a lower bound: no rate tried lost more than 0.1% after the drain.</summary>
    public bool CeilingIsLowerBound => IsLowerBound(Judgement.Drained);

    /// <summary>Whether <see cref="Ceiling(Judgement)"/> is only a lower bound: no rate tried failed <paramref name="judgement"/>.</summary>
    public bool IsLowerBound(Judgement judgement) => LowestFail(judgement) is null;

    /// <summary>The same judgement by the old metric (≤ 0.1% of users with no key), over the points run.</summary>
    public int? OldCeiling()
    {
        int fail = _points.Where(p => p.LostUsersPercent > 0.1).Select(p => p.OfferedRate).DefaultIfEmpty(int.MaxValue).Min();
        return _points.Where(p => p.RateReached && p.LostUsersPercent <= 0.1 && p.OfferedRate < fail).Select(p => (int?)p.OfferedRate).Max();
    }

    private int? LowestFail(Judgement judgement) => _points.Where(p => !p.LossFreeBy(judgement)).Select(p => (int?)p.OfferedRate).Min();

    private int? HighestPassBelow(Judgement judgement, int fail) =>
        _points.Where(p => p.LossFreeBy(judgement) && p.RateReached && p.OfferedRate < fail).Select(p => (int?)p.OfferedRate).Max();

    /// <summary>Two significant digits and a half: 452,123 → 450,000; 47,600 → 47,500.</summary>
    internal static int Round(int rate)
    {
        if (rate < 100)
            return rate;
        int step = (int)Math.Pow(10, Math.Floor(Math.Log10(rate)) - 1) / 2;
        return Math.Max(step, (int)Math.Round((double)rate / step) * step);
    }
}
