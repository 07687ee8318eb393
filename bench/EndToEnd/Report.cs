using System.Globalization;

namespace Presence.Bench.EndToEnd;

/// <summary>Tables (Markdown, so they paste into docs/PERFORMANCE.md as printed) and verdicts.</summary>
internal static class Report
{
    public static string Name(SystemKind system) => system == SystemKind.Presence ? "presence-ingest" : "presence-baseline";

    public static void PrintTable(IEnumerable<RunResult> results)
    {
        Console.WriteLine("| system | offered/s | sent/s | users sent | heartbeats sent | accepted | written | stale | missing | **loss / heartbeat** | lost users (old) | drops by reason | CPU receiver / redis / sender / others | peak RSS | write lag p50 / p99 | drain | load | notes |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|---:|---:|---|");
        foreach (var r in results)
            Console.WriteLine(Row(r));
    }

    public static string Row(RunResult r) => string.Create(CultureInfo.InvariantCulture,
        $"| {Name(r.System)} | {r.OfferedRate:N0} | {r.SentRate:N0}{(r.RateReached ? "" : " (short)")} | {r.Users:N0} | {r.RecordsSent:N0} | {r.Accepted:N0} | {r.Written:N0} | " +
        $"{r.Stale:N0} | {r.Missing:N0} | **{r.LossPercent:0.000}%** | {r.LostUsersPercent:0.000}% | {Drops(r.Drops)} | " +
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

    public static void PrintCeilings(IReadOnlyList<Ladder> ladders)
    {
        var ceilings = new Dictionary<SystemKind, (int? New, bool Bound, int? Old)>();
        foreach (var ladder in ladders)
        {
            int? ceiling = ladder.Ceiling();
            ceilings[ladder.System] = (ceiling, ladder.CeilingIsLowerBound, ladder.OldCeiling());
            string text = ceiling is int c
                ? string.Create(CultureInfo.InvariantCulture, $"{c:N0} heartbeats/s{(ladder.CeilingIsLowerBound ? " (no rate tried lost more: a lower bound)" : "")}")
                : "none of the rates tried";
            var shorts = ladder.Points.Where(p => !p.RateReached).Select(p => p.OfferedRate.ToString("N0", CultureInfo.InvariantCulture)).ToArray();
            if (shorts.Length > 0)
                text += $"; generator short of the offered rate at {string.Join(", ", shorts)} (not counted)";
            Console.WriteLine($"highest rate with ≤ 0.1% loss per heartbeat (medians), {Name(ladder.System)}: {text}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  old metric, ≤ 0.1% lost users, same points: {(ladder.OldCeiling() is int o ? $"{o:N0}/s" : "none")}"));
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
            Console.WriteLine(p.New is int pn && b.New is int bn
                ? string.Create(CultureInfo.InvariantCulture, $"ratio presence / baseline, per heartbeat: {(double)pn / bn:0.0}×{bound}")
                : "ratio presence / baseline, per heartbeat: undefined (a system lost > 0.1% at every rate tried)");
            if (p.Old is int po && b.Old is int bo)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio by the old metric (lost users), same points: {(double)po / bo:0.0}×"));
        }
    }
}
