using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Presence.Bench.Events;
using Presence.Testing;

// presence-events-bench: the presence-events benchmark of issue 12 in one command.
//
//   dotnet run -c Release --project bench/Events -- [--quick] [--subscribers N] [--watch 100]
//       [--users 1000000] [--duration S] [--repeat 3] [--phases cost,events,groups,log] (--help for all)
//
// 1. Heartbeat path (cost): the seed workload (--cost-users × 10 s, no churn, no subscribers)
//    against presence-ingest --events off, then on, alternating, --repeat times each; redis-server
//    and presence-ingest CPU (utime + stime from /proc over a steady window) per heartbeat accepted;
//    medians and the ratio on/off (target: below 1.10).
// 2. Events: --users × 10 s with --churn of them coming and going (all three event types), one
//    presence-query holding --subscribers raw SSE streams of --watch ids each (every user watched),
//    a steady window in which it measures the delay of every event at the subscribers (receive − at)
//    and at the node (presence_event_delay_seconds), the node's streams, RSS and CPU, the store's
//    work (INFO commandstats), then checks every delivery of the window against the events log.
// 3. Groups (issue 22, only with --phases groups): the same load, groups written with an admin key,
//    then one stream on a group of --big-group members beside one id stream of the same ids, --groups
//    streams on groups of --group-size beside as many id streams of the same ids, each side on a
//    fresh presence-query: delays at the subscribers (and the group side's over the id side's, line
//    by line), the nodes' CPU and RSS, the large snapshot's time, every delivery checked against the log.
// 4. Log (issue 23, only with --phases log): how many transitions a second one store node's events log
//    takes, appended as ingesters append them, as fast as the store answers, with --log-nodes query
//    nodes following it (LogRun): redis-server's CPU per transition, the nodes' CPU and lag.
//
// Everything runs on 127.0.0.1 against its own redis-server (free port, no persistence); every
// load is bounded in time, and every process it starts is stopped at the end, also on failure or Ctrl-C.

var options = BenchOptions.Parse(args, out int exitCode);
if (options is null)
    return exitCode;
#if DEBUG
Console.Error.WriteLine("presence-events-bench: built in Debug; run it with `dotnet run -c Release --project bench/Events`");
return 2;
#else
using var interrupt = new CancellationTokenSource();
// .NET 10 has no default SIGTERM handling (the process would just die, its children left running):
// the first SIGINT, SIGTERM or SIGHUP unwinds the harness, which stops what it started; a second kills them at once.
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    if (interrupt.IsCancellationRequested)
    {
        ChildProcess.KillAll();
        Environment.Exit(130);
    }
    Console.Error.WriteLine($"presence-events-bench: {context.Signal}; stopping what it started (again to kill at once)");
    interrupt.Cancel();
}
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
using var onHup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);

ChildProcess.CommandLog = Console.Out; // every command it runs is printed
var started = Stopwatch.StartNew();
string binaries = AppContext.BaseDirectory;
Console.WriteLine("== machine");
Console.WriteLine($"nproc: {Environment.ProcessorCount}, cpu: {Machine.CpuModel()}, memory {Machine.MemTotalGiB():0.0} GiB");
Console.WriteLine($"kernel: {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"load average at the start: {Machine.LoadAverages()}");
Console.WriteLine($"redis: {ChildProcess.Run("redis-server", TimeSpan.FromSeconds(30), "--version").Trim()}");
Console.WriteLine($"binaries (built by dotnet run -c Release): {binaries}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"run: {(options.Quick ? "--quick" : "full")}, {options.Repeat} run(s) of each kind, about {options.EstimatedSeconds() / 60.0:0} min"));
if (options.RunCost)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  heartbeat path: {options.CostUsers:N0} users × {BenchOptions.Interval} s, no churn, no subscribers; --events off and on alternating; warm-up {options.CostWarmup} s, window {options.CostWindow} s"));
if (options.RunEvents)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  events: {options.Users:N0} users × {BenchOptions.Interval} s, churn {options.Churn} ({BenchOptions.ChurnActive} s active, {BenchOptions.ChurnSilent} s silent, {BenchOptions.ChurnSignOut} signing out), ttl {BenchOptions.Ttl} s; {options.Subscribers:N0} subscribers × {options.Watch} ids; window {options.Duration} s from {BenchOptions.SteadyAfter} s after the generator starts"));
if (options.RunLog)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  log: {options.LogAppenders} appenders, {options.LogOnline:N0} users online in the log, query nodes {string.Join(", ", options.LogNodes)}, window {options.LogWindow} s"));
if (options.RunGroups)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  groups: {options.Users:N0} users × {BenchOptions.Interval} s, churn {options.Churn}; 1 group of {options.BigGroup:N0} members vs 1 id stream of the same ids; {options.Groups:N0} groups of {options.GroupSize:N0} vs {options.Groups:N0} id streams of the same ids; window {options.Duration} s each"));
Console.WriteLine();

string? failure = null;
var costs = new List<CostResult>();
var events = new List<EventsResult>();
var groups = new List<GroupsResult>();
var logRuns = new List<LogResult>();
// The groups' admin key: a fresh one a run, in a file only this user reads (presence-query refuses others).
string adminKey = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
string adminKeysFile = Path.Combine(Path.GetTempPath(), $"presence-events-bench-admin-{Environment.ProcessId}");
try
{
    int redisPort = FreePort.Tcp();
    var redisServer = ChildProcess.StartFile("redis-server", "redis-server", ["--port", redisPort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--logfile", "", .. options.StoreArgs]); // by default as REDIS.md sets it up
    await WaitListeningAsync(redisServer, redisPort);
    await using var redis = await RedisProbe.ConnectAsync(redisPort);
    var services = new Services(binaries, redisPort, interrupt.Token);
    Console.WriteLine();

    if (options.RunCost)
    {
        for (int run = 1; run <= options.Repeat; run++)
        {
            // Alternating which goes first keeps a drift of the machine's load from favouring one side.
            bool[] order = run % 2 == 1 ? [false, true] : [true, false];
            foreach (bool on in order)
                costs.Add(await CostRun.RunAsync(services, redis, redisServer.Pid, on, options, run));
        }
    }
    if (options.RunEvents)
    {
        for (int run = 1; run <= options.Repeat; run++)
            events.Add(await EventsRun.RunAsync(services, redis, redisServer.Pid, options, run));
    }
    if (options.RunGroups)
    {
        File.WriteAllText(adminKeysFile, adminKey + "\n");
        File.SetUnixFileMode(adminKeysFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        for (int run = 1; run <= options.Repeat; run++)
            groups.AddRange(await GroupsRun.RunAsync(services, redis, redisServer.Pid, options, run, adminKeysFile, adminKey));
    }
    if (options.RunLog)
    {
        // Runs of each node count in turns, so a drift of the machine's load does not favour one.
        for (int run = 1; run <= options.Repeat; run++)
        {
            foreach (int nodes in options.LogNodes)
                logRuns.Add(await LogRun.RunAsync(services, redis, redisPort, redisServer.Pid, nodes, options, run));
        }
    }
}
catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
{
    Console.Error.WriteLine("presence-events-bench: interrupted");
    return 130;
}
catch (Exception e)
{
    // What finished is still reported below; the run as a whole failed.
    failure = $"{e.GetType().Name}: {e.Message}";
    Console.Error.WriteLine($"presence-events-bench: failed: {e}");
}
finally
{
    ChildProcess.KillAll();
    File.Delete(adminKeysFile);
}

Console.WriteLine($"== summary ({(options.Quick ? "--quick" : "full")} run, {started.Elapsed.TotalMinutes:0.0} min, load average at the end: {Machine.LoadAverages()})");
if (costs.Count > 0)
{
    Report.PrintCost(costs);
    Console.WriteLine();
    Report.PrintCostSummary(costs);
    Console.WriteLine();
}
if (events.Count > 0)
{
    Report.PrintEvents(events);
    Console.WriteLine();
    Report.PrintEventsSummary(events);
}
if (groups.Count > 0)
{
    Console.WriteLine();
    Report.PrintGroups(groups);
    Console.WriteLine();
    Report.PrintGroupsSummary(groups);
}
if (logRuns.Count > 0)
{
    Console.WriteLine();
    Console.WriteLine("events log capacity on one store node:");
    LogResult.Print(logRuns);
}
if (failure is not null)
{
    Console.WriteLine($"FAILED before the end: {failure}");
    return 1;
}
return events.All(r => r.Check.ExactlyOnce) && groups.All(r => r.Check.ExactlyOnce && r.CountMismatches == 0) ? 0 : 1;

static async Task WaitListeningAsync(ChildProcess redis, int port)
{
    var deadline = DateTime.UtcNow.AddSeconds(20);
    while (DateTime.UtcNow < deadline)
    {
        redis.ThrowIfExited();
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return;
        }
        catch (SocketException)
        {
            await Task.Delay(100);
        }
    }
    throw new TimeoutException($"redis-server did not listen on {port}:\n{redis.Tail()}");
}
#endif
