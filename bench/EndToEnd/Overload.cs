using System.Diagnostics;
using System.Globalization;
using Presence.Testing;

namespace Presence.Bench.EndToEnd;

/// <summary>
/// presence-ingest at and past capacity, each repetition in one go on the same redis-server: the
/// awaited-SET ceiling of its own client (<see cref="SetProbe"/>, plain <c>SET … PX</c> and with
/// <c>GET</c>), redis-benchmark's <c>SET … PX</c> with <c>-P 64</c> (<see cref="StoreCeiling"/>), then a flood (2M records/s
/// offered over 1M users, for a bounded time) against presence-ingest, whose confirmed writes/s
/// after a 5 s warm-up are its sustained rate. Then scheduled runs at 50%, 90% and 110% of the
/// capacity (the median SET ceiling) for the write-lag histogram's p50/p99 and the loss per heartbeat there.
/// </summary>
internal sealed class Overload(Binaries bins, Store store, RedisServer redis, E2eOptions options, Runner runner)
{
    public const int FloodRecordsPerSecond = 2_000_000;
    public const int FloodUsers = 1_000_000;
    private const double WarmupSeconds = 5;

    public sealed record Flood(double SentRate, double WritesPerSecond, IReadOnlyDictionary<string, long> Drops, long PendingAtEnd,
        double LagP50, double LagP99, CpuSplit Cpu, double LoadAverage);

    public async Task RunAsync()
    {
        var probes = new List<SetProbe.Result>();
        var probesGet = new List<SetProbe.Result>();
        var benchmarks = new List<double>();
        var floods = new List<Flood>();
        for (int repeat = 1; repeat <= options.Repeat; repeat++)
        {
            Console.WriteLine($"== overload, run {repeat} of {options.Repeat} (load average {Machine.LoadAverages()})");
            await store.FlushAllAsync();
            var probe = await SetProbe.RunAsync(redis.Port, redis.Pid, options.ProbeSeconds, FloodUsers, withGet: false);
            probes.Add(probe);
            Console.WriteLine(Inv($"  awaited SET … PX (StackExchange.Redis, chunks of {SetProbe.ChunkSize:N0}, {options.ProbeSeconds} s): {probe.WritesPerSecond:N0}/s; CPU client {probe.ClientCores:0.00}, redis-server {probe.RedisCores:0.00}"));
            await store.FlushAllAsync();
            var probeGet = await SetProbe.RunAsync(redis.Port, redis.Pid, options.ProbeSeconds, FloodUsers, withGet: true);
            probesGet.Add(probeGet);
            Console.WriteLine(Inv($"  awaited SET … PX … GET (what the ingest sends with events on): {probeGet.WritesPerSecond:N0}/s; CPU client {probeGet.ClientCores:0.00}, redis-server {probeGet.RedisCores:0.00}"));
            await store.FlushAllAsync();
            double benchmark = StoreCeiling.Measure(redis, options.BenchmarkRequests);
            benchmarks.Add(benchmark);
            floods.Add(await FloodAsync());
        }

        double capacity = Mid(probes.Select(p => p.WritesPerSecond));
        double benchmarkRate = Mid(benchmarks);
        Console.WriteLine();
        Console.WriteLine($"== overload: medians of {options.Repeat}");
        Console.WriteLine("| run | awaited SET … PX/s (capacity) | awaited SET … PX … GET/s | redis-benchmark -P 64 SET … PX/s | flood sent records/s | presence confirmed writes/s (sustained) | ratio to SET … PX | to SET … PX … GET | to redis-benchmark | drops in the flood | pending at end | write lag p50 / p99 | CPU ingest / redis / sender / others | load |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---|---:|");
        for (int i = 0; i < floods.Count; i++)
            Console.WriteLine(FloodRow($"{i + 1}", probes[i].WritesPerSecond, probesGet[i].WritesPerSecond, benchmarks[i], floods[i]));
        var median = new Flood(Mid(floods.Select(f => f.SentRate)), Mid(floods.Select(f => f.WritesPerSecond)),
            floods.SelectMany(f => f.Drops.Keys).Distinct().ToDictionary(k => k, k => Mid(floods.Select(f => f.Drops.TryGetValue(k, out long v) ? v : 0))),
            Mid(floods.Select(f => f.PendingAtEnd)), Mid(floods.Select(f => f.LagP50)), Mid(floods.Select(f => f.LagP99)),
            new CpuSplit(Mid(floods.Select(f => f.Cpu.Receiver)), Mid(floods.Select(f => f.Cpu.Redis)), Mid(floods.Select(f => f.Cpu.LoadGen)), Mid(floods.Select(f => f.Cpu.Others))),
            Mid(floods.Select(f => f.LoadAverage)));
        Console.WriteLine(FloodRow("**median**", capacity, Mid(probesGet.Select(p => p.WritesPerSecond)), benchmarkRate, median));
        Console.WriteLine(Inv($"sustained confirmed writes/s under the flood ÷ awaited-SET ceiling: {median.WritesPerSecond / capacity:0.00} (target ≥ 0.9: {(median.WritesPerSecond >= 0.9 * capacity ? "met" : "not met")}); ÷ redis-benchmark -P 64: {median.WritesPerSecond / benchmarkRate:0.00}"));
        Console.WriteLine();

        Console.WriteLine(Inv($"== write lag at 50%, 90% and 110% of capacity ({capacity:N0} writes/s: the median awaited SET … PX ceiling), {options.PerFrame} a frame, users = rate × {options.Interval} s"));
        var lagRuns = new List<RunResult>();
        foreach (double share in new[] { 0.5, 0.9, 1.1 })
        {
            int rate = Ladder.Round((int)(capacity * share));
            var runs = new List<RunResult>();
            for (int repeat = 1; repeat <= options.Repeat; repeat++)
            {
                Console.WriteLine(Inv($"== presence-ingest at {share:P0} of capacity: {rate:N0} heartbeats/s, run {repeat} of {options.Repeat} (load average {Machine.LoadAverages()})"));
                var result = await runner.RunAsync(SystemKind.Presence, rate, options.Interval, options.Duration, options.PerFrame);
                runs.Add(result);
                Report.PrintTable([result]);
                Console.WriteLine();
            }
            lagRuns.Add(RunResult.Median(runs));
        }
        Console.WriteLine($"== write lag: medians of {options.Repeat} (after a warm-up of a quarter of the run, at most 5 s)");
        Report.PrintTable(lagRuns);
        Console.WriteLine();
    }

    private static string FloodRow(string run, double probe, double probeGet, double benchmark, Flood f) => string.Create(CultureInfo.InvariantCulture,
        $"| {run} | {probe:N0} | {probeGet:N0} | {benchmark:N0} | {f.SentRate:N0} | {f.WritesPerSecond:N0} | {f.WritesPerSecond / probe:0.00} | {f.WritesPerSecond / probeGet:0.00} | " +
        $"{f.WritesPerSecond / benchmark:0.00} | {Report.Drops(f.Drops)} | {f.PendingAtEnd:N0} | {Report.Lag(f.LagP50, f.LagP99)} | " +
        $"{f.Cpu.Receiver:0.00} / {f.Cpu.Redis:0.00} / {f.Cpu.LoadGen:0.00} / {f.Cpu.Others:0.00} | {f.LoadAverage:0.0} |");

    private async Task<Flood> FloodAsync()
    {
        await store.FlushAllAsync();
        double load = ProcStat.LoadAverage();
        await using var receiver = await Receiver.StartAsync(SystemKind.Presence, bins, redis.Port, options.IngestArgs);
        var cpu = CpuMeter.Start(receiver.Pid, redis.Pid);
        int perFrame = 8;
        var loadgen = LoadGenRun.Start(bins, receiver.UdpPort, FloodUsers, interval: 0, options.FloodSeconds, perFrame,
            rateCap: FloodRecordsPerSecond / perFrame, lastSent: null);
        var clock = Stopwatch.StartNew();
        // Confirmed writes once a second; the sustained rate is taken from the warm-up to the last reading before sending stops.
        (double At, ReceiverCounts Counts)? warm = null, last = null;
        var series = new List<(double At, long Written)>();
        while (!loadgen.HasExited)
        {
            using var tick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                await loadgen.WaitAsync(tick.Token);
                break;
            }
            catch (OperationCanceledException)
            {
            }
            double at = clock.Elapsed.TotalSeconds;
            if (at > options.FloodSeconds - 0.5)
                continue; // sending is about to stop: the next reading would mix in the drain
            var counts = await receiver.CountsAsync();
            series.Add((clock.Elapsed.TotalSeconds, counts.Written));
            if (warm is null && at >= WarmupSeconds)
                warm = (at, counts);
            else if (warm is not null)
                last = (at, counts);
        }
        await loadgen.FinishAsync();
        var split = cpu.Stop(loadgen.Cores);
        Console.WriteLine($"  presence-ingest cores by thread while flooded: {cpu.ReceiverThreads}");
        var end = await receiver.CountsAsync();
        double writesPerSecond = warm is { } w && last is { } l && l.At > w.At ? (l.Counts.Written - w.Counts.Written) / (l.At - w.At) : double.NaN;
        double p50 = last is { } l50 ? Metrics.Quantile(l50.Counts.Metrics!, warm?.Counts.Metrics, "presence_write_lag_seconds", 0.5) : double.NaN;
        double p99 = last is { } l99 ? Metrics.Quantile(l99.Counts.Metrics!, warm?.Counts.Metrics, "presence_write_lag_seconds", 0.99) : double.NaN;
        var flood = new Flood(loadgen.RecordsPerSecond, writesPerSecond, end.Drops, end.Outstanding, p50, p99, split, load);
        string span = warm is { } from && last is { } to ? Inv($" from {from.At:0.0} s to {to.At:0.0} s") : " (no readings after the warm-up)";
        Console.WriteLine(Inv($"  flood: {flood.SentRate:N0} records/s sent over {FloodUsers:N0} users for {options.FloodSeconds} s; confirmed writes {writesPerSecond:N0}/s{span}; drops {Report.Drops(end.Drops)}; pending {end.Outstanding:N0} when sending stopped"));
        // Whether room comes back steadily or in bursts: confirmed writes/s between consecutive readings.
        Console.WriteLine("  confirmed writes/s, reading by reading: " + string.Join(", ", series.Zip(series.Skip(1),
            (a, b) => Inv($"{b.At:0.0} s {(b.Written - a.Written) / (b.At - a.At) / 1000:N0}K"))));
        await receiver.DrainAsync(TimeSpan.FromSeconds(30));
        Console.WriteLine(await receiver.StopAsync());
        return flood;
    }

    private static double Mid(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[(sorted.Length - 1) / 2];
    }

    private static long Mid(IEnumerable<long> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[(sorted.Length - 1) / 2];
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
