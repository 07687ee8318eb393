using System.Globalization;

namespace Presence.Bench.EndToEnd;

/// <summary>Tables (Markdown, so they paste into docs/PERFORMANCE.md as printed) and verdicts.</summary>
internal static class Report
{
    public static string Name(SystemKind system) => system == SystemKind.Presence ? "presence-ingest" : "presence-baseline";

    public static void PrintTable(IEnumerable<RunResult> results)
    {
        Console.WriteLine("| system | offered/s | sent/s | users sent | heartbeats sent | accepted | written | stale | missing | **loss at stop** | **loss / heartbeat** (drained) | lost users (old) | drops by reason | CPU receiver / redis / sender / others | peak RSS | write lag p50 / p99 | drain | load | notes |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|---:|---:|---|");
        foreach (var r in results)
            Console.WriteLine(Row(r));
    }

    public static string Row(RunResult r) => string.Create(CultureInfo.InvariantCulture,
        $"| {Name(r.System)} | {r.OfferedRate:N0} | {r.SentRate:N0}{(r.RateReached ? "" : " (short)")} | {r.Users:N0} | {r.RecordsSent:N0} | {r.Accepted:N0} | {r.Written:N0} | " +
        $"{r.Stale:N0} | {r.Missing:N0} | {AtStop(r)} | **{r.LossPercent:0.000}%** | {r.LostUsersPercent:0.000}% | {Drops(r.Drops)} | " +
        $"{r.Cpu.Receiver:0.00} / {r.Cpu.Redis:0.00} / {r.Cpu.LoadGen:0.00} / {r.Cpu.Others:0.00} | {r.PeakRssBytes / 1048576.0:N0} MB | {Lag(r.LagP50, r.LagP99)} | " +
        $"{r.DrainSeconds:0.0} s | {r.LoadAverage:0.0} | {r.Note} |");

    /// <summary>Non-zero drops as reason count, …; "none" when there were none.</summary>
    public static string Drops(IReadOnlyDictionary<string, long> drops)
    {
        var nonZero = drops.Where(d => d.Value != 0).Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Key} {d.Value:N0}")).ToArray();
        return nonZero.Length == 0 ? "none" : string.Join(", ", nonZero);
    }

    public static string Lag(double p50, double p99) =>
        double.IsNaN(p50) ? "–" : string.Create(CultureInfo.InvariantCulture, $"{p50 * 1000:N0} / {p99 * 1000:N0} ms");

    /// <summary>The at-stop loss and its stale + missing users, or "–" when the run was not judged at stop.</summary>
    public static string AtStop(RunResult r) => r.JudgedAtStop
        ? string.Create(CultureInfo.InvariantCulture, $"**{r.LossAtStopPercent:0.000}%** ({r.StaleAtStop:N0} stale + {r.MissingAtStop:N0} missing, {r.StopGapMs:N0} ms after the last send)")
        : "–";

    public static string Judged(Judgement judgement) => judgement == Judgement.AtStop ? "loss at stop" : "loss per heartbeat, drained";

    /// <summary>
    /// Per judgement (at stop, then drained) and system, the highest rate with ≤ 0.1% loss, as a
    /// ratio of the store's own ceiling (<see cref="StoreCeiling"/>, measured in the same invocation)
    /// when known, and the ratio presence / baseline; the old metric beside the drained one; then a
    /// summary of the same figures.
    /// </summary>
    public static void PrintCeilings(IReadOnlyList<Ladder> ladders, double? storeCeiling = null)
    {
        var judgements = ladders.SelectMany(l => l.Judgements).Distinct().Order().ToArray();
        var summary = new List<string>();
        foreach (var judgement in judgements)
        {
            var ceilings = new Dictionary<SystemKind, (int? New, bool Bound)>();
            var parts = new List<string>();
            foreach (var ladder in ladders.Where(l => l.Judgements.Contains(judgement)))
            {
                int? ceiling = ladder.Ceiling(judgement);
                bool bound = ladder.IsLowerBound(judgement);
                ceilings[ladder.System] = (ceiling, bound);
                string text = ceiling is int c
                    ? string.Create(CultureInfo.InvariantCulture, $"{c:N0} heartbeats/s{OfStore(c, storeCeiling)}{(bound ? " (no rate tried lost more: a lower bound)" : "")}")
                    : "none of the rates tried";
                var shorts = ladder.Points.Where(p => !p.RateReached).Select(p => p.OfferedRate.ToString("N0", CultureInfo.InvariantCulture)).ToArray();
                if (shorts.Length > 0)
                    text += $"; generator short of the offered rate at {string.Join(", ", shorts)} (not counted)";
                Console.WriteLine($"highest rate with ≤ 0.1% {Judged(judgement)} (medians), {Name(ladder.System)}: {text}");
                if (judgement == Judgement.Drained)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  old metric, ≤ 0.1% lost users, same points: {(ladder.OldCeiling() is int o ? $"{o:N0}/s" : "none")}"));
                }
                parts.Add(ceiling is int sc
                    ? string.Create(CultureInfo.InvariantCulture, $"{(ladder.System == SystemKind.Presence ? "presence" : "baseline")} {sc:N0}/s{OfStore(sc, storeCeiling)}{(bound ? " (at least)" : "")}")
                    : $"{(ladder.System == SystemKind.Presence ? "presence" : "baseline")} none");
            }
            if (ceilings.TryGetValue(SystemKind.Presence, out var p) && ceilings.TryGetValue(SystemKind.Baseline, out var b))
            {
                string bound = (p.Bound, b.Bound) switch
                {
                    (true, true) => " (neither ceiling was found: not a ratio of ceilings)",
                    (true, false) => " (at least: presence lost no more at any rate tried)",
                    (false, true) => " (at most: the baseline lost no more at any rate tried)",
                    _ => "",
                };
                string ratio = p.New is int pn && b.New is int bn
                    ? string.Create(CultureInfo.InvariantCulture, $"{(double)pn / bn:0.0}×{bound}")
                    : "undefined (a system lost > 0.1% at every rate tried)";
                Console.WriteLine($"ratio presence / baseline, {Judged(judgement)}: {ratio}");
                parts.Add($"presence / baseline {ratio}");
                if (judgement == Judgement.Drained)
                {
                    var oldP = ladders.First(l => l.System == SystemKind.Presence).OldCeiling();
                    var oldB = ladders.First(l => l.System == SystemKind.Baseline).OldCeiling();
                    if (oldP is int po && oldB is int bo)
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio by the old metric (lost users), same points: {(double)po / bo:0.0}×"));
                }
            }
            summary.Add($"  {(judgement == Judgement.AtStop ? "at stop" : "drained")}: {string.Join("; ", parts)}");
        }
        Console.WriteLine(storeCeiling is double store
            ? string.Create(CultureInfo.InvariantCulture, $"summary, highest rate with ≤ 0.1% loss (the store's ceiling: redis-benchmark -P 64 SET … PX, {store:N0}/s, measured before the ladder):")
            : "summary, highest rate with ≤ 0.1% loss:");
        foreach (string line in summary)
            Console.WriteLine(line);
    }

    /// <summary>" = 0.44 × the store's ceiling 678,000/s", or nothing when the ceiling was not measured.</summary>
    private static string OfStore(int rate, double? storeCeiling) => storeCeiling is double c && c > 0
        ? string.Create(CultureInfo.InvariantCulture, $" = {rate / c:0.00} × the store's ceiling {c:N0}/s")
        : "";
}
