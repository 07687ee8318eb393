using System.Diagnostics;
using System.Globalization;
using Presence.Bench.EndToEnd;
using Presence.Testing;

// presence-e2e: Presence against the textbook receiver (presence-baseline), end to end, in one command.
//
// Use (from the repository root):
//   dotnet run -c Release --project bench/EndToEnd -- [--quick] [--parts ladder,seed,overload] …  (--help lists all)
//
// It builds presence-ingest/-loadgen (tools/Demo) and presence-baseline, starts its own redis-server
// on a free port (no persistence) and runs three parts:
//  ladder    per system, a coarse ladder of offered rates upwards, then bisection near the first
//            rate that loses more than 0.1% of heartbeats; each point the median of --repeat runs
//            (default 3), systems interleaved. A run: FLUSHALL, start the receiver, presence-loadgen
//            (users = rate × interval, --per-frame records a frame, --last-sent FILE) for the
//            duration; at stop (--judge stop): a second after the last send, freeze the receiver
//            (SIGSTOP), read every user's stored time, let it go (SIGCONT); then wait until the
//            receiver drained (late is not lost) and read every user's stored time again: a user
//            whose key is missing, or older than its last send by more than --slack-ms, lost its
//            latest heartbeat (LossCheck), at stop or drained. Loss at stop and per heartbeat
//            (drained), the old lost-users share beside them, drops by reason, CPU of receiver /
//            redis-server / sender / the rest of the machine; before the ladder, the store's own
//            ceiling (redis-benchmark -P 64), each system's highest rates a share of it. The chart
//            (--chart, docs/e2e-loss.svg) plots the metrics.
//  seed      the seed workload: 1M users × 10 s for 60 s, one heartbeat a datagram, presence-ingest.
//  overload  the awaited-SET ceiling of the ingest's client, redis-benchmark -P 64 and a 2M records/s
//            flood, in one go per repetition; then the write lag at 50/90/110% of that ceiling.
// All traffic goes to 127.0.0.1; every load is bounded by its duration.

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(E2eOptions.Usage);
    return 0;
}
var options = E2eOptions.Parse(args);
if (options is null)
    return 2;
string root = RepositoryRoot.Path;
Environment.CurrentDirectory = root;
var wall = Stopwatch.StartNew();
var toolTimeout = TimeSpan.FromSeconds(30);
var buildTimeout = TimeSpan.FromMinutes(10);
ChildProcess.CommandLog = Console.Out; // every command is printed before it runs

Console.WriteLine("== machine");
Console.WriteLine($"date: {Machine.UtcNow()}");
Console.WriteLine($"command: dotnet run -c Release --project bench/EndToEnd --{(args.Length > 0 ? " " + string.Join(' ', args) : "")}");
Console.WriteLine($"commit: {ChildProcess.Run("git", toolTimeout, "rev-parse", "--short", "HEAD").Trim()}{(ChildProcess.Run("git", toolTimeout, "status", "--porcelain", "--untracked-files=no").Trim().Length > 0 ? " (with uncommitted changes)" : "")}");
Console.WriteLine($"nproc: {Environment.ProcessorCount}");
Console.WriteLine($"cpu: {Machine.CpuModel()}");
Console.WriteLine($"kernel: {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}");
Console.WriteLine($"memory: {Machine.MemTotalGiB():0.0} GiB, load average {Machine.LoadAverages()}");
Console.WriteLine($"redis: {ChildProcess.Run("redis-server", toolTimeout, "--version").Trim()}");
Console.WriteLine($".NET: {Environment.Version}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"run: {(options.Quick ? "--quick" : "full")}; parts {(options.Ladder ? "ladder " : "")}{(options.Seed ? "seed " : "")}{(options.Overload ? "overload" : "")}; " +
    $"duration {options.Duration} s, interval {options.Interval} s, ttl 30 s, {options.PerFrame} record(s) a frame, {options.Repeat} run(s) a point, " +
    $"slack {options.SlackMs} ms, judged {string.Join(" and ", options.Judgements.Select(j => j == Judgement.AtStop ? "at stop (receiver frozen 1 s after the last send)" : "drained"))}, refine {options.Refine} round(s) per judgement; presence rates {string.Join(", ", options.PresenceRates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}; " +
    $"baseline rates {string.Join(", ", options.BaselineRates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}" +
    $"{(options.IngestArgs.Length > 0 ? $"; ingest args {string.Join(' ', options.IngestArgs)}" : "")}"));
Console.WriteLine();

Console.WriteLine("== build");
ChildProcess.Run("dotnet", buildTimeout, "build", "tools/Demo", "-c", "Release", "-nologo", "-v:q", "-clp:NoSummary");
ChildProcess.Run("dotnet", buildTimeout, "build", "bench/Baseline", "-c", "Release", "-nologo", "-v:q", "-clp:NoSummary");
var bins = new Binaries(
    Ingest: Path.Combine(root, "tools/Demo/bin/Release/net10.0/presence-ingest.dll"),
    LoadGen: Path.Combine(root, "tools/Demo/bin/Release/net10.0/presence-loadgen.dll"),
    Baseline: Path.Combine(root, "bench/Baseline/bin/Release/net10.0/presence-baseline.dll"));

// By default as docs/REDIS.md sets the store up: the events log's list compressed but for its ends.
Console.WriteLine($"== redis-server {string.Join(' ', options.StoreArgs)}");
using var redis = RedisServer.Start(options.StoreArgs);
await using var store = await Store.ConnectAsync(redis.Port);
var runner = new Runner(bins, store, redis, options);
Console.WriteLine();

if (options.Ladder)
{
    // The store's own ceiling, once, on the same server and machine minutes as the ladder: each
    // system's highest rates are also read as a share of it.
    Console.WriteLine("== the store's own ceiling, before the ladder");
    await store.FlushAllAsync();
    double storeCeiling = StoreCeiling.Measure(redis, options.BenchmarkRequests);
    Console.WriteLine();
    var ladders = options.Systems.Select(s => new Ladder(s, options.RatesOf(s), options.Refine, options.Judgements)).ToArray();
    var every = new List<RunResult>();
    while (ladders.Any(l => l.Next() is not null))
    {
        // One point of each system whose ladder goes on, its runs interleaved with the other's, so
        // both see the same machine over the same minutes.
        var step = ladders.Where(l => l.Next() is not null).Select(l => (Ladder: l, Rate: l.Next()!.Value, Runs: new List<RunResult>())).ToArray();
        for (int repeat = 1; repeat <= options.Repeat; repeat++)
        {
            foreach (var (ladder, rate, runs) in step)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"== {Report.Name(ladder.System)}, {rate:N0} heartbeats/s offered, run {repeat} of {options.Repeat} ({Machine.UtcNow()}, load average {Machine.LoadAverages()})"));
                var result = await runner.RunAsync(ladder.System, rate, options.Interval, options.Duration, options.PerFrame);
                runs.Add(result);
                every.Add(result);
                Report.PrintTable([result]);
                Console.WriteLine();
            }
        }
        foreach (var (ladder, _, runs) in step)
            ladder.Record(RunResult.Median(runs));
    }
    Console.WriteLine("== every run");
    Report.PrintTable(every);
    Console.WriteLine();
    Console.WriteLine($"== medians of {options.Repeat} run(s) per point (each column on its own)");
    Report.PrintTable(ladders.SelectMany(l => l.Points.OrderBy(p => p.OfferedRate)));
    Console.WriteLine();
    Report.PrintCeilings(ladders, storeCeiling);
    Chart.Write(ladders, options.Chart, options.PerFrame, options.Repeat);
    Console.WriteLine($"chart: {options.Chart}");
    Console.WriteLine();
}

if (options.Seed)
{
    const int SeedUsers = 1_000_000; // rate 100,000/s × interval 10 s
    Console.WriteLine($"== seed workload: 1,000,000 users × 10 s interval for {options.SeedDuration} s against presence-ingest, 1 heartbeat a datagram");
    var seeds = new List<RunResult>();
    for (int repeat = 1; repeat <= options.Repeat; repeat++)
    {
        Console.WriteLine($"== seed workload, run {repeat} of {options.Repeat} ({Machine.UtcNow()}, load average {Machine.LoadAverages()})");
        string running = "";
        var seed = await runner.RunAsync(SystemKind.Presence, rate: 100_000, interval: 10, options.SeedDuration, perFrame: 1,
            whileRunning: async () => running = await store.MemoryAsync(SeedUsers));
        seeds.Add(seed);
        Report.PrintTable([seed]);
        Console.WriteLine($"store, ingest running: {running}");
        Console.WriteLine($"store, ingest stopped (its watched users handed over in …:orphans until another ingester adopts them): {await store.MemoryAsync(SeedUsers)}");
        Console.WriteLine();
    }
    Console.WriteLine($"== seed workload: median of {options.Repeat}");
    Report.PrintTable([RunResult.Median(seeds)]);
    Console.WriteLine();
}

if (options.Overload)
    await new Overload(bins, store, redis, options, runner).RunAsync();

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"done: {Machine.UtcNow()}, {wall.Elapsed.TotalMinutes:0.0} minutes, load average {Machine.LoadAverages()}"));
return 0;
