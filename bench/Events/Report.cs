using System.Globalization;
using Presence.Core.Events;

namespace Presence.Bench.Events;

/// <summary>The benchmark's tables: each run as it ends, then medians over the runs against the targets.</summary>
internal static class Report
{
    /// <summary>Delivery targets at the 99th percentile (HTTP-API.md): timeout within 1 s of at, online and sign-out within 250 ms.</summary>
    public static double TargetMs(TransitionKind kind) => kind == TransitionKind.Timeout ? 1000 : 250;

    private static readonly TransitionKind[] s_kinds = [TransitionKind.Online, TransitionKind.Timeout, TransitionKind.Signout];

    public static string Name(TransitionKind kind) => kind switch
    {
        TransitionKind.Online => "online",
        TransitionKind.Timeout => "offline timeout",
        _ => "offline signout",
    };

    public static void PrintCost(IEnumerable<CostResult> results)
    {
        Console.WriteLine($"{"--events",-9} {"run",3} {"window s",8} {"accepted/s",11} {"written/s",10} {"sent/s",10} {"redis µs/hb",11} {"ingest µs/hb",12} {"transitions",11} {"pending max",11} {"kernel drops",12}  load average");
        foreach (var r in results)
        {
            Console.WriteLine(F($"{(r.Events ? "on" : "off"),-9} {r.Run,3} {r.WindowSeconds,8:0.0} {r.HeartbeatsPerSecond,11:N0} {r.WritesPerSecond,10:N0} {r.SentPerSecond,10:N0} {r.RedisUsPerHeartbeat,11:0.000} {r.IngestUsPerHeartbeat,12:0.000} {r.Transitions,11:N0} {r.PendingUsersMax,11:N0} {r.KernelDrops,12:N0}  {r.LoadAverage}"));
        }
    }

    public static void PrintCostSummary(List<CostResult> results)
    {
        var off = results.Where(r => !r.Events).ToList();
        var on = results.Where(r => r.Events).ToList();
        if (off.Count == 0 || on.Count == 0)
            return;
        double redisOff = Median(off.Select(r => r.RedisUsPerHeartbeat)), redisOn = Median(on.Select(r => r.RedisUsPerHeartbeat));
        double ingestOff = Median(off.Select(r => r.IngestUsPerHeartbeat)), ingestOn = Median(on.Select(r => r.IngestUsPerHeartbeat));
        double bothOff = Median(off.Select(r => r.RedisUsPerHeartbeat + r.IngestUsPerHeartbeat)), bothOn = Median(on.Select(r => r.RedisUsPerHeartbeat + r.IngestUsPerHeartbeat));
        Console.WriteLine($"== heartbeat path: CPU per heartbeat accepted, medians of {off.Count} (off) and {on.Count} (on) runs, target: on/off below 1.10");
        Console.WriteLine($"{"",-22} {"--events off",12} {"--events on",12} {"on/off",7}  target met");
        Row("redis-server µs/hb", redisOff, redisOn);
        Row("presence-ingest µs/hb", ingestOff, ingestOn);
        Row("both µs/hb", bothOff, bothOn);
        Console.WriteLine(F($"accepted heartbeats/s (median): off {Median(off.Select(r => r.HeartbeatsPerSecond)):N0}, on {Median(on.Select(r => r.HeartbeatsPerSecond)):N0}"));

        static void Row(string name, double off, double on) =>
            Console.WriteLine(F($"{name,-22} {off,12:0.000} {on,12:0.000} {on / off,7:0.000}  {(on / off < 1.10 ? "yes" : "NO")}"));
    }

    public static void PrintEvents(IEnumerable<EventsResult> results)
    {
        foreach (var r in results)
        {
            Console.WriteLine(F($"-- events run {r.Run}: window {r.WindowSeconds:0.0} s, load average {r.LoadAverage}, {r.HeartbeatsPerSecond:N0} heartbeats/s accepted"));
            Console.WriteLine($"{"type",-16} {"events",7} {"client p50",10} {"p99",8} {"max",8}   {"server n",8} {"p50",8} {"p99",8} {"max ≤",8}  {"target p99",10}");
            foreach (var kind in s_kinds)
            {
                var delays = r.ClientDelays[kind];
                var server = kind == TransitionKind.Online ? r.ServerOnline : r.ServerOffline;
                Console.WriteLine(F($"{Name(kind),-16} {delays.Length,7:N0} {Pct(delays, 0.5),10:0} {Pct(delays, 0.99),8:0} {Max(delays),8:0}   {server.Count,8:N0} {server.Quantile(0.5) * 1000,8:0} {server.Quantile(0.99) * 1000,8:0} {server.MaxBound() * 1000,8:0}  {TargetMs(kind),7:0} ms"));
            }
            Console.WriteLine("  (ms; client: receive − at in the subscribers; server: presence_event_delay_seconds, send − at, from bucket counts, offline timeout and signout together)");
            Console.WriteLine(F($"  node: {r.SubscribersHeldMin:N0} of {r.Subscribers:N0} streams held, {r.WatchedIds:N0} watched ids ({r.DistinctWatchedIds:N0} distinct), RSS {Mb(r.QueryRssAfterConnectBytes)} after connecting, {Mb(r.QueryRssBytes)} at the end, peak {Mb(r.QueryPeakRssBytes)}, CPU {r.QueryCores:0.00} cores; all streams up in {r.ConnectSeconds:0.0} s"));
            Console.WriteLine(F($"  other CPU (cores): redis-server {r.RedisCores:0.00}, presence-ingest {r.IngestCores:0.00}, subscribers' client {r.ClientCores:0.00}"));
            Console.WriteLine(F($"  log in the window: {r.LogOnline:N0} online, {r.LogTimeout:N0} timeout, {r.LogSignout:N0} signout (plan {r.PlanPerSecond(TransitionKind.Online) * r.WindowSeconds:N0} / {r.PlanPerSecond(TransitionKind.Timeout) * r.WindowSeconds:N0} / {r.PlanPerSecond(TransitionKind.Signout) * r.WindowSeconds:N0}); of users not churning: {r.LogNotChurning:N0}; ingest saw {r.IngestTransitions:N0}, dropped {r.IngestTransitionsDropped:N0} ({r.IngestTransitionsDroppedSinceStart:N0} since it started); UDP kernel drops {r.KernelDrops:N0}; pending users at most {r.PendingUsersMax:N0}"));
            if (r.IngestTransitionsDroppedSinceStart > 0)
                Console.WriteLine("  WARNING: the ingester dropped transitions (presence_transitions_dropped_total; its queue to the events log was full, docs/EVENTS.md \"Limits\"): the changes of a held user between its first held transition and its latest, or every change of a user held beyond the 1M bound, are not in the log, so no stream shows them (a held user's lines still end on its latest state; a user beyond the bound is missing until its next transition)");
            var c = r.Check;
            Console.WriteLine(F($"  delivery: {c.Expected:N0} owed (each line × its subscribers), {c.Received:N0} received, {c.Missing:N0} missing, {c.Duplicates:N0} duplicated, {c.Unexpected:N0} unexpected, {c.Mismatched:N0} altered, {c.NotAlternating:N0} not alternating, {c.Foreign + c.OtherEpoch:N0} unreadable/foreign → {(c.ExactlyOnce ? "exactly once" : "NOT exactly once")}"));
            Console.WriteLine(F($"  streams: {c.Reconnects:N0} reconnects, {c.Refused:N0} refused{(c.Refused > 0 ? $" ({c.RefusedStatuses})" : "")}, {c.Errors:N0} errors, {c.Resnapshotted:N0} new snapshots in the window, {r.StreamsEndedByNode:N0} ended by the node (overflow), {r.Resyncs:N0} resyncs, {r.FeedErrors:N0} feed errors, {c.Keepalives:N0} keepalives since connecting"));
            var s = r.Store;
            double w = r.WindowSeconds;
            double transitions = Math.Max(1, r.LogLines);
            Console.WriteLine(F($"  store: {s.ScriptCalls / w:0.0} script calls/s ({r.IngestAppends / w:0.0} appends, {r.LogReads / w:0.0} log reads by the node), {s.UsecPerScriptCall:0} µs each; {r.ExpiryGets / w:0.0} expiry GETs/s ({r.ExpiryGets / Math.Max(1.0, r.LogTimeout):0.00} a timeout); {s.Publishes / w:0.0} wake PUBLISH/s; {s.Mgets / w * 60:N0} MGET/min"));
            Console.WriteLine(F($"  last seen: {r.LastSeenWrites / w:0.0} writes/s = {r.LastSeenShare * 100:0.00}% of the {r.PresenceWrites / w:N0} presence writes/s; {r.LastSeenWrites / Math.Max(1.0, r.LogTimeout + r.LogSignout):0.00} a logged offline"));
            Console.WriteLine(F($"  store work per transition: {(s.ScriptCalls + r.ExpiryGets + s.Publishes) / transitions:0.00} commands; reads of watched ids by the node: {s.Mgets * 60 / w:N0}/min (target at most {r.DistinctWatchedIds:N0}/min, one per watched id)"));
        }
    }

    public static void PrintEventsSummary(List<EventsResult> results)
    {
        if (results.Count == 0)
            return;
        Console.WriteLine($"== events: medians of {results.Count} run(s); delays in ms; targets (p99): online and signout ≤ 250 ms after at, timeout ≤ 1000 ms");
        Console.WriteLine($"{"type",-16} {"events/run",10} {"client p50",10} {"p99",8} {"max",8}   {"server p50",10} {"p99",8} {"max ≤",8}  target met (client p99 / server p99)");
        foreach (var kind in s_kinds)
        {
            Func<EventsResult, HistogramCounts> server = kind == TransitionKind.Online ? r => r.ServerOnline : r => r.ServerOffline;
            double p99 = Median(results.Select(r => Pct(r.ClientDelays[kind], 0.99)));
            double sp99 = Median(results.Select(r => server(r).Quantile(0.99) * 1000));
            Console.WriteLine(F($"{Name(kind),-16} {Median(results.Select(r => (double)r.ClientDelays[kind].Length)),10:N0} {Median(results.Select(r => Pct(r.ClientDelays[kind], 0.5))),10:0} {p99,8:0} {Median(results.Select(r => Max(r.ClientDelays[kind]))),8:0}   {Median(results.Select(r => server(r).Quantile(0.5) * 1000)),10:0} {sp99,8:0} {Median(results.Select(r => server(r).MaxBound() * 1000)),8:0}  {Met(p99, kind)} / {Met(sp99, kind)}"));
        }
        Console.WriteLine(F($"node: {Median(results.Select(r => r.SubscribersHeldMin)):N0} streams, {results[0].WatchedIds:N0} watched ids; RSS {Mb((long)Median(results.Select(r => (double)r.QueryRssBytes)))} (peak {Mb((long)Median(results.Select(r => (double)r.QueryPeakRssBytes)))}); CPU {Median(results.Select(r => r.QueryCores)):0.00} cores; streams up in {Median(results.Select(r => r.ConnectSeconds)):0} s"));
        Console.WriteLine(F($"store: redis-server {Median(results.Select(r => r.RedisCores)):0.00} cores; {Median(results.Select(r => r.Store.ScriptCalls / r.WindowSeconds)):0.0} script calls/s ({Median(results.Select(r => r.IngestAppends / r.WindowSeconds)):0.0} appends + {Median(results.Select(r => r.LogReads / r.WindowSeconds)):0.0} log reads), {Median(results.Select(r => r.Store.UsecPerScriptCall)):0} µs each; {Median(results.Select(r => r.ExpiryGets / r.WindowSeconds)):0.0} expiry GETs/s; {Median(results.Select(r => r.Store.Mgets * 60 / r.WindowSeconds)):N0} reads of watched ids/min"));
        Console.WriteLine(F($"last seen writes: {Median(results.Select(r => r.LastSeenWrites / r.WindowSeconds)):0.0}/s, +{Median(results.Select(r => r.LastSeenShare * 100)):0.00}% over the presence writes ({Median(results.Select(r => r.PresenceWrites / r.WindowSeconds)):N0}/s); {Median(results.Select(r => r.LastSeenWrites / Math.Max(1.0, r.LogTimeout + r.LogSignout))):0.00} a logged offline"));
        Console.WriteLine(F($"transitions/s: {Median(results.Select(r => r.LogLines / r.WindowSeconds)):0.0} (plan {results[0].PlanPerSecond(TransitionKind.Online) * 2:0.0}); of users not churning: {results.Sum(r => r.LogNotChurning):N0} in all runs"));
        Console.WriteLine(F($"delivery: {results.Sum(r => r.Check.Expected):N0} owed, {results.Sum(r => r.Check.Received):N0} received, {results.Sum(r => r.Check.Missing):N0} missing, {results.Sum(r => r.Check.Duplicates):N0} duplicated, {results.Sum(r => r.Check.Unexpected + r.Check.Mismatched):N0} unexpected or altered over all runs → {(results.All(r => r.Check.ExactlyOnce) ? "exactly once" : "NOT exactly once")}"));
    }

    public static void PrintGroups(IEnumerable<GroupsResult> results)
    {
        foreach (var r in results)
        {
            Console.WriteLine(F($"-- groups run {r.Run}, {r.Part.Name}: window {r.WindowSeconds:0.0} s, load average {r.LoadAverage}"));
            Console.WriteLine($"{"type",-16} {"events",7} {"client p50",10} {"p99",8} {"max",8}   {"server n",8} {"p50",8} {"p99",8} {"max ≤",8}");
            foreach (var kind in s_kinds)
            {
                var delays = r.ClientDelays[kind];
                var server = kind == TransitionKind.Online ? r.ServerOnline : r.ServerOffline;
                Console.WriteLine(F($"{Name(kind),-16} {delays.Length,7:N0} {Pct(delays, 0.5),10:0} {Pct(delays, 0.99),8:0} {Max(delays),8:0}   {server.Count,8:N0} {server.Quantile(0.5) * 1000,8:0} {server.Quantile(0.99) * 1000,8:0} {server.MaxBound() * 1000,8:0}"));
            }
            Console.WriteLine(F($"  node: {r.SubscribersHeldMin:N0} of {r.Part.Layout.Subscribers:N0} streams held, RSS {Mb(r.QueryRssAfterConnectBytes)} after connecting, {Mb(r.QueryRssBytes)} at the end, peak {Mb(r.QueryPeakRssBytes)}, CPU {r.QueryCores:0.000} cores; streams up in {r.ConnectSeconds:0.0} s"));
            if (r.ExtraOverIdsMs.Length > 0)
                Console.WriteLine(F($"  the same line at this group stream − at the id stream of the same ids, side by side: p50 {Pct(r.ExtraOverIdsMs, 0.5):0.0} ms, p99 {Pct(r.ExtraOverIdsMs, 0.99):0.0} ms, min {r.ExtraOverIdsMs[0]:0.0}, max {Max(r.ExtraOverIdsMs):0.0} ({r.ExtraOverIdsMs.Length:N0} lines)"));
            Console.WriteLine(F($"  snapshot: {(r.ProbeSnapshotMs.Length > 0 ? $"probes {string.Join(", ", r.ProbeSnapshotMs.Select(v => v.ToString("N0", CultureInfo.InvariantCulture)))} ms; " : "")}the part's streams p50 {Pct(r.StreamSnapshotMs, 0.5):N0} ms, max {Max(r.StreamSnapshotMs):N0} ms"));
            Console.WriteLine(F($"  other CPU (cores): redis-server {r.RedisCores:0.00}, presence-ingest {r.IngestCores:0.00}, subscribers' client {r.ClientCores:0.00}; store: {r.Store.AllCalls / r.WindowSeconds:0.0} commands/s, {r.Store.Mgets * 60 / r.WindowSeconds:N0} MGET/min"));
            var c = r.Check;
            Console.WriteLine(F($"  delivery: {r.LogLines:N0} log lines, {c.Expected:N0} owed, {c.Received:N0} received, {c.Missing:N0} missing, {c.Duplicates:N0} duplicated, {c.Unexpected:N0} unexpected, {c.Mismatched:N0} altered, {c.NotAlternating:N0} not alternating, {c.Foreign + c.OtherEpoch:N0} unreadable/foreign, {r.CountMismatches:N0} counts off → {(c.ExactlyOnce && r.CountMismatches == 0 ? "exactly once" : "NOT exactly once")}; {c.Reconnects:N0} reconnects, {c.Refused:N0} refused{(c.Refused > 0 ? $" ({c.RefusedStatuses})" : "")}, {c.Resnapshotted:N0} new snapshots"));
            if (r.IngestTransitionsDroppedSinceStart > 0)
                Console.WriteLine(F($"  WARNING: the ingester dropped {r.IngestTransitionsDroppedSinceStart:N0} transitions since it started (its queue to the log was full)"));
        }
    }

    public static void PrintGroupsSummary(List<GroupsResult> results)
    {
        if (results.Count == 0)
            return;
        int runs = results.Max(r => r.Run);
        Console.WriteLine($"== groups: medians of {runs} run(s); delays at the subscribers (receive − at), ms; node = presence-query over the window");
        Console.WriteLine($"{"part",-34} {"online p99",10} {"timeout p99",11} {"signout p99",11} {"node p99 on/off",15} {"cores",6} {"RSS MB",7} {"peak",6} {"snapshot ms",11} {"up s",5}  delivery");
        var byPart = results.GroupBy(r => r.Part.Name).ToList();
        foreach (var part in byPart)
        {
            var rs = part.ToList();
            Console.WriteLine(F($"{part.Key,-34} {P99(rs, TransitionKind.Online),10:0} {P99(rs, TransitionKind.Timeout),11:0} {P99(rs, TransitionKind.Signout),11:0} {$"{Median(rs.Select(r => r.ServerOnline.Quantile(0.99) * 1000)):0}/{Median(rs.Select(r => r.ServerOffline.Quantile(0.99) * 1000)):0}",15} {Median(rs.Select(r => r.QueryCores)),6:0.000} {Median(rs.Select(r => r.QueryRssBytes / 1048576.0)),7:0} {Median(rs.Select(r => r.QueryPeakRssBytes / 1048576.0)),6:0} {Median(rs.Select(r => r.SnapshotMs)),11:N0} {Median(rs.Select(r => r.ConnectSeconds)),5:0.0}  {(rs.All(r => r.Check.ExactlyOnce && r.CountMismatches == 0) ? "exactly once" : "NOT exactly once")} ({rs.Sum(r => r.Check.Received):N0} received)"));
        }
        Console.WriteLine("group / id streams of the same ids, side by side (medians' ratios; group − id receive time of the same line, medians of the runs' p50 and p99):");
        foreach (var pair in results.GroupBy(r => r.Part.Pair))
        {
            var groups = pair.Where(r => r.Part.IsGroup).ToList();
            var ids = pair.Where(r => !r.Part.IsGroup).ToList();
            if (groups.Count == 0 || ids.Count == 0)
                continue;
            double Ratio(Func<List<GroupsResult>, double> of) => of(groups) / of(ids);
            Console.WriteLine(F($"  {groups[0].Part.Name} / {ids[0].Part.Name}: online p99 ×{Ratio(g => P99(g, TransitionKind.Online)):0.00}, timeout p99 ×{Ratio(g => P99(g, TransitionKind.Timeout)):0.00}, signout p99 ×{Ratio(g => P99(g, TransitionKind.Signout)):0.00}, node CPU ×{Ratio(g => Median(g.Select(r => r.QueryCores))):0.00}, RSS ×{Ratio(g => Median(g.Select(r => (double)r.QueryRssBytes))):0.00}, snapshot ×{Ratio(g => Median(g.Select(r => r.SnapshotMs))):0.00}; group − id p50 {Median(groups.Select(r => Pct(r.ExtraOverIdsMs, 0.5))):0.0} ms, p99 {Median(groups.Select(r => Pct(r.ExtraOverIdsMs, 0.99))):0.0} ms"));
        }

        static double P99(List<GroupsResult> rs, TransitionKind kind) => Median(rs.Select(r => Pct(r.ClientDelays[kind], 0.99)));
    }

    /// <summary>Nearest-rank percentile of an ascending array; NaN when empty.</summary>
    public static double Pct(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static double Max(double[] sorted) => sorted.Length == 0 ? double.NaN : sorted[^1];

    /// <summary>The lower median (an even count never invents a value).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[(sorted.Length - 1) / 2];
    }

    private static string Met(double p99, TransitionKind kind) => double.IsNaN(p99) ? "n/a" : p99 <= TargetMs(kind) ? "yes" : "NO";

    private static string Mb(long bytes) => F($"{bytes / 1048576.0:N0} MB");

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
