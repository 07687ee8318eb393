using System.Globalization;

namespace Presence.Bench.EndToEnd;

/// <summary>
/// One run of one receiver at one offered rate, or (<see cref="Median"/>) the median of a point's runs.
/// </summary>
/// <param name="Users">Users the generator sent at least one heartbeat (its last-sent file has a time for them).</param>
/// <param name="Accepted">Valid heartbeat records the receiver read from its socket (before its own drops).</param>
/// <param name="Written">Confirmed store writes.</param>
/// <param name="Stale">Users whose stored time is older than their last send, beyond the slack: their latest heartbeat was lost.</param>
/// <param name="Missing">Users sent with no key at all (the old metric's "lost users").</param>
/// <param name="Drops">Drops by reason: the kernel's (the socket's drop count), and the receiver's own.</param>
/// <param name="Cpu">Cores used over the sending period, by process.</param>
/// <param name="LagP50">p50 of presence_write_lag_seconds after the warm-up (NaN for the baseline).</param>
internal sealed record RunResult(
    SystemKind System, int OfferedRate, double SentRate, long Users, long RecordsSent, long SendErrors,
    long Accepted, long Written, long Stale, long Missing, long WithinSlack, long LateChecked,
    IReadOnlyDictionary<string, long> Drops, CpuSplit Cpu, long PeakRssBytes, double LagP50, double LagP99,
    double DrainSeconds, double LoadAverage, string Note)
{
    /// <summary>Users whose latest heartbeat the store does not hold: stale or missing.</summary>
    public long LostHeartbeats => Stale + Missing;

    /// <summary>
    /// Loss per heartbeat: of the heartbeats judged (each user's latest, one per user, all sent in
    /// the run's last interval, in steady state), the share the store does not hold after the drain.
    /// </summary>
    public double LossPercent => Users == 0 ? 0 : 100.0 * LostHeartbeats / Users;

    /// <summary>The old metric: users with no key at all, as a share of users sent.</summary>
    public double LostUsersPercent => (OldUsers >= 0 ? OldUsers : Users) is var users and > 0 ? 100.0 * Missing / users : 0;

    /// <summary>The generator sent at least 95% of the offered rate: the run tested that rate.</summary>
    public bool RateReached => SentRate >= 0.95 * OfferedRate;

    /// <summary>Loss-free by the per-heartbeat rule: at most 0.1% of heartbeats lost.</summary>
    public bool LossFree => LossPercent <= 0.1;

    /// <summary>Whether the users were also judged at the moment sending stopped (<see cref="Judgement.AtStop"/>): the receiver frozen then.</summary>
    public bool JudgedAtStop { get; init; }

    /// <summary>At stop: users whose stored time was older than their last send, beyond the slack (not yet written, or lost).</summary>
    public long StaleAtStop { get; init; }

    /// <summary>At stop: users sent with no key yet.</summary>
    public long MissingAtStop { get; init; }

    /// <summary>Ms from the last heartbeat sent to the freeze (the at-stop judgement's grace, as it came out).</summary>
    public long StopGapMs { get; init; }

    /// <summary>
    /// Loss at stop, sustained judging: of each user's latest heartbeat, the share the store did not
    /// hold when sending stopped (the receiver frozen about a second after the last send). With users
    /// spread evenly over the interval, a receiver writing L s behind leaves about (L − grace) ÷ interval
    /// of them stale then: ≤ 0.1% means it kept up within about the grace.
    /// </summary>
    public double LossAtStopPercent => (UsersAtStop >= 0 ? UsersAtStop : Users) is var users and > 0 ? 100.0 * (StaleAtStop + MissingAtStop) / users : 0;

    /// <summary>Users the at-stop counts are a share of (differs from <see cref="Users"/> only in a median row, as <see cref="OldUsers"/> does).</summary>
    public long UsersAtStop { get; init; } = -1;

    /// <summary>Loss-free at stop: judged then, and at most 0.1% of latest heartbeats not in the store.</summary>
    public bool LossFreeAtStop => JudgedAtStop && LossAtStopPercent <= 0.1;

    /// <summary>Loss-free by <paramref name="judgement"/>.</summary>
    public bool LossFreeBy(Judgement judgement) => judgement == Judgement.AtStop ? LossFreeAtStop : LossFree;

    /// <summary>The loss share by <paramref name="judgement"/> (NaN at stop when not judged then).</summary>
    public double LossPercentBy(Judgement judgement) =>
        judgement == Judgement.Drained ? LossPercent : JudgedAtStop ? LossAtStopPercent : double.NaN;

    public long Drop(string reason) => Drops.TryGetValue(reason, out long v) ? v : 0;

    /// <summary>
    /// Per column, the lower median of a point's runs (an even count never invents a value), so a
    /// row need not be one run; loss counts come from the run with the median loss share, the old
    /// metric's from the run with its median share.
    /// </summary>
    public static RunResult Median(IReadOnlyList<RunResult> runs)
    {
        if (runs.Count == 1)
            return runs[0];
        var byLoss = runs.OrderBy(r => r.LossPercent).ElementAt((runs.Count - 1) / 2);
        var byOld = runs.OrderBy(r => r.LostUsersPercent).ElementAt((runs.Count - 1) / 2);
        var byStop = runs.OrderBy(r => r.LossAtStopPercent).ElementAt((runs.Count - 1) / 2);
        bool atStop = runs.All(r => r.JudgedAtStop);
        var drops = runs.SelectMany(r => r.Drops.Keys).Distinct()
            .ToDictionary(k => k, k => Mid(runs.Select(r => r.Drop(k))));
        var cpu = new CpuSplit(Mid(runs.Select(r => r.Cpu.Receiver)), Mid(runs.Select(r => r.Cpu.Redis)),
            Mid(runs.Select(r => r.Cpu.LoadGen)), Mid(runs.Select(r => r.Cpu.Others)));
        return new RunResult(runs[0].System, runs[0].OfferedRate, Mid(runs.Select(r => r.SentRate)), byLoss.Users,
            Mid(runs.Select(r => r.RecordsSent)), Mid(runs.Select(r => r.SendErrors)), Mid(runs.Select(r => r.Accepted)),
            Mid(runs.Select(r => r.Written)), byLoss.Stale, byOld.Missing, byLoss.WithinSlack, byLoss.LateChecked,
            drops, cpu, Mid(runs.Select(r => r.PeakRssBytes)), Mid(runs.Select(r => r.LagP50)), Mid(runs.Select(r => r.LagP99)),
            Mid(runs.Select(r => r.DrainSeconds)), Mid(runs.Select(r => r.LoadAverage)),
            $"median of {runs.Count}; " +
            (atStop ? $"loss at stop % of the runs: {Shares(runs, r => r.LossAtStopPercent)}; " : "") +
            string.Create(CultureInfo.InvariantCulture,
                $"loss/heartbeat % of the runs: {string.Join(" / ", runs.Select(r => r.LossPercent.ToString("0.000", CultureInfo.InvariantCulture)))}; " +
                $"lost users %: {string.Join(" / ", runs.Select(r => r.LostUsersPercent.ToString("0.000", CultureInfo.InvariantCulture)))}"))
        {
            // The old metric's users count is its own run's; with the same rate the user counts only differ by generator shortfall.
            OldUsers = byOld.Users,
            // At stop, the counts of the run with the median share at stop (its own users: see OldUsers).
            JudgedAtStop = atStop,
            StaleAtStop = atStop ? byStop.StaleAtStop : 0,
            MissingAtStop = atStop ? byStop.MissingAtStop : 0,
            UsersAtStop = byStop.Users,
            StopGapMs = Mid(runs.Select(r => r.StopGapMs)),
        };
    }

    /// <summary>Users the old metric's <see cref="Missing"/> is a share of (differs from <see cref="Users"/> only in a median row).</summary>
    public long OldUsers { get; init; } = -1;

    private static string Shares(IEnumerable<RunResult> runs, Func<RunResult, double> share) =>
        string.Join(" / ", runs.Select(r => share(r).ToString("0.000", CultureInfo.InvariantCulture)));

    private static T Mid<T>(IEnumerable<T> values) where T : IComparable<T>
    {
        var sorted = values.Order().ToArray();
        return sorted[(sorted.Length - 1) / 2];
    }
}
