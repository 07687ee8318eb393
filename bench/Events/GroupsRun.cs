using System.Diagnostics;
using System.Globalization;
using System.Net;
using Presence.Core.Events;
using Presence.LoadGen.Internal;
using Presence.Testing;

namespace Presence.Bench.Events;

/// <summary>
/// One run of the groups benchmark (issue 22): the events run's load (users × 10 s, a share
/// churning), the groups written once through the membership route with an admin key, then four
/// parts, each on a fresh presence-query so that its RSS and CPU are its own: one stream on a group
/// of <see cref="BenchOptions.BigGroup"/> members and one id stream (POST) of the same ids;
/// <see cref="BenchOptions.Groups"/> streams on groups of <see cref="BenchOptions.GroupSize"/> and as
/// many id streams of the same blocks. Each part measures, over a steady window, the delay of every
/// event at the subscribers, the node's CPU and RSS, and checks every delivery against the events log.
/// </summary>
internal static class GroupsRun
{
    /// <summary>Snapshots of a one-stream part taken one at a time before its stream opens (the median is reported).</summary>
    private const int Probes = 3;

    /// <summary>Seconds between the last snapshot of a part and its window: the snapshots' garbage and store work behind it.</summary>
    private const int Settle = 5;

    public static async Task<List<GroupsResult>> RunAsync(Services services, RedisProbe redis, int redisPid, BenchOptions options, int run, string adminKeysFile, string adminKey)
    {
        var plan = GroupsPart.Churn(options);
        // Which of a pair goes first alternates run to run, so a drift of the machine's load favours neither.
        var parts = GroupsPart.Plan(options, groupsFirst: run % 2 == 1);
        var members = parts[0].Layout; // the large group's ids, all members
        int churning = 0, signing = 0;
        for (int k = 0; k < members.Watch; k++)
        {
            if (plan.IsChurning((int)(members.IdAt(0, k) - 1), out int ordinal))
            {
                churning++;
                signing += plan.SignsOut(ordinal) ? 1 : 0;
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"== groups, run {run} of {options.Repeat}: {options.Users:N0} users × {BenchOptions.Interval} s, churn {options.Churn:0.###}; parts: {string.Join("; ", parts.Select(p => p.Name))}; window {options.Duration} s each"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  members: ids {members.IdAt(0, 0)}-{members.IdAt(0, options.GroupSize - 1)}, {members.IdAt(0, options.GroupSize)}-…, {members.Watch:N0} in all; {churning:N0} churning ({100.0 * churning / members.Watch:0.0#}%), {signing:N0} of them signing out"));
        await redis.FlushAllAsync();
        var (ingest, udp, ingestHttp) = await services.StartIngestAsync(events: true);
        ChildProcess? loadgen = null;
        var results = new List<GroupsResult>();
        try
        {
            // An upper bound (the generator is stopped when the last part is done).
            int loadSeconds = (int)Services.CatchUpLimit.TotalSeconds + 4 * (options.Duration + 300) + 120;
            loadgen = services.StartLoadGen(udp, options.Users, loadSeconds,
                "--churn", options.Churn.ToString(CultureInfo.InvariantCulture),
                "--churn-active", BenchOptions.ChurnActive.ToString(CultureInfo.InvariantCulture),
                "--churn-silent", BenchOptions.ChurnSilent.ToString(CultureInfo.InvariantCulture),
                "--churn-signout", BenchOptions.ChurnSignOut.ToString(CultureInfo.InvariantCulture),
                "--ttl", BenchOptions.Ttl.ToString(CultureInfo.InvariantCulture));
            var loadClock = Stopwatch.StartNew();
            await services.WaitAsync(TimeSpan.FromSeconds(BenchOptions.Interval + 2), ingest, loadgen);
            double steady = 2 * plan.Churning / plan.PeriodSeconds;
            await services.WaitLogQuietAsync(ingestHttp, null, steady, ingest, loadgen);
            Console.WriteLine($"  online burst appended {loadClock.Elapsed.TotalSeconds:0} s after the generator started");

            // The groups, written as an operator would (PUT with an admin key), by a node of their own.
            string[] queryArgs = QueryArgs(options, adminKeysFile);
            var (writer, writerHttp) = await services.StartQueryAsync(0, queryArgs);
            try
            {
                foreach (var part in parts.Where(p => p.IsGroup))
                {
                    var clock = Stopwatch.StartNew();
                    await services.WriteGroupsAsync(writerHttp, adminKey, part.Layout, part.Shape);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  written: {part.Layout.Subscribers:N0} group(s) of {part.Layout.Watch:N0} members in {clock.Elapsed.TotalSeconds:0.0} s"));
                }
            }
            finally
            {
                writer.Stop(TimeSpan.FromSeconds(15));
            }

            foreach (var part in parts)
                results.Add(await PartAsync(services, redis, redisPid, options, run, part, queryArgs, plan, ingest, ingestHttp, loadgen, loadClock));
            return results;
        }
        finally
        {
            if (loadgen is not null)
                loadgen.Stop(TimeSpan.FromSeconds(10));
            ingest.Stop(TimeSpan.FromSeconds(15));
        }
    }

    /// <summary>The node's options: the admin key file, and room for the large group as a group, a watch list and a body.</summary>
    private static string[] QueryArgs(BenchOptions options, string adminKeysFile)
    {
        string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        return ["--admin-keys", adminKeysFile,
            "--max-group-size", I(Math.Max(100_000, Math.Max(options.BigGroup, options.GroupSize))),
            "--max-watch", I(Math.Max(10_000, Math.Max(options.BigGroup, options.GroupSize))),
            // A POST of the large group's ids: up to 20 digits and a comma each.
            "--max-body", I(Math.Max(64 * 1024, 21L * Math.Max(options.BigGroup, options.GroupSize) + 1024))];
    }

    private static async Task<GroupsResult> PartAsync(Services services, RedisProbe redis, int redisPid, BenchOptions options, int run, GroupsPart part,
        string[] queryArgs, ChurnPlan plan, ChildProcess ingest, int ingestHttp, ChildProcess loadgen, Stopwatch loadClock)
    {
        var layout = part.Layout;
        Console.WriteLine($"-- {part.Name}");
        var (query, queryHttp) = await services.StartQueryAsync(layout.Subscribers, queryArgs);
        SubscriberPool? pool = null;
        try
        {
            var processes = new[] { ingest, query, loadgen };
            await services.SubscribeOnceAsync(queryHttp);
            await services.WaitLogQuietAsync(ingestHttp, queryHttp, 2 * plan.Churning / plan.PeriodSeconds, processes);
            var server = new IPEndPoint(IPAddress.Loopback, queryHttp);
            var connectTimeout = TimeSpan.FromSeconds(Math.Max(120, layout.Subscribers / 20));
            void Watchdog()
            {
                services.Interrupt.ThrowIfCancellationRequested();
                Array.ForEach(processes, p => p.ThrowIfExited());
            }

            // The snapshot of a large stream, one at a time: what a client waits for when it opens one.
            var probes = new List<double>();
            if (layout.Subscribers == 1)
            {
                for (int i = 0; i < Probes; i++)
                {
                    await using var probe = new SubscriberPool(layout, server, 1, part.Shape);
                    await probe.ConnectAllAsync(connectTimeout, Watchdog);
                    probes.Add(probe.Subscribers[0].FirstSnapshotMs);
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  snapshot of {layout.Watch:N0} ids, {Probes} probes one at a time: {string.Join(", ", probes.Select(p => p.ToString("N0", CultureInfo.InvariantCulture)))} ms"));
            }

            pool = new SubscriberPool(layout, server, options.ConnectAtOnce, part.Shape);
            var connectTime = await pool.ConnectAllAsync(connectTimeout, Watchdog);
            var afterConnect = ProcessSample.Take(query.Pid);
            Console.WriteLine($"  {layout.Subscribers:N0} stream(s) up after {connectTime.TotalSeconds:0.0} s; presence-query RSS {afterConnect.RssBytes / 1048576.0:N0} MB");
            var steadyIn = TimeSpan.FromSeconds(BenchOptions.SteadyAfter) - loadClock.Elapsed;
            await services.WaitAsync(steadyIn > TimeSpan.FromSeconds(Settle) ? steadyIn : TimeSpan.FromSeconds(Settle), processes);

            long seq0 = await redis.LogLastSeqAsync();
            var stats0 = await redis.CommandStatsAsync();
            var queryMetrics0 = await MetricsPage.ScrapeAsync(queryHttp);
            var querySample0 = ProcessSample.Take(query.Pid);
            var redisSample0 = ProcessSample.Take(redisPid);
            var ingestSample0 = ProcessSample.Take(ingest.Pid);
            var selfSample0 = ProcessSample.Take(Environment.ProcessId);
            string load0 = Machine.LoadAverages();
            Console.WriteLine($"  window: {options.Duration} s from {loadClock.Elapsed.TotalSeconds:0} s after the generator started, log at line {seq0:N0}, load average {load0}");
            long peakRss = querySample0.RssBytes;
            double subscribersSeen = double.MaxValue;
            var windowClock = Stopwatch.StartNew();
            while (windowClock.Elapsed < TimeSpan.FromSeconds(options.Duration))
            {
                await services.WaitAsync(TimeSpan.FromSeconds(Math.Min(5, options.Duration - windowClock.Elapsed.TotalSeconds)), processes);
                peakRss = Math.Max(peakRss, ProcessSample.Take(query.Pid).RssBytes);
                subscribersSeen = Math.Min(subscribersSeen, (await MetricsPage.ScrapeAsync(queryHttp))["presence_event_subscribers"]);
            }
            var queryMetrics1 = await MetricsPage.ScrapeAsync(queryHttp);
            var ingestMetrics1 = await MetricsPage.ScrapeAsync(ingestHttp);
            var querySample1 = ProcessSample.Take(query.Pid);
            var redisSample1 = ProcessSample.Take(redisPid);
            var ingestSample1 = ProcessSample.Take(ingest.Pid);
            var selfSample1 = ProcessSample.Take(Environment.ProcessId);
            var stats1 = await redis.CommandStatsAsync();
            long seq1 = await redis.LogLastSeqAsync();
            string load1 = Machine.LoadAverages();
            peakRss = Math.Max(peakRss, querySample1.RssBytes);

            var lines = await redis.LogLinesAsync(seq0, seq1);
            long expected = lines.Sum(l => (long)layout.SubscribersOf(l.UserId).Count());
            var deadline = Stopwatch.StartNew();
            while (pool.Subscribers.Sum(s => (long)s.CountReceived(seq0, seq1)) < expected && deadline.Elapsed < TimeSpan.FromSeconds(20))
                await Task.Delay(250, services.Interrupt);
            var check = DeliveryCheck.Run(pool, layout, lines, seq0, seq1);
            var delivered = pool.Subscribers.SelectMany(s => s.Deliveries()).Where(d => d.Seq > seq0 && d.Seq <= seq1).ToList();
            var result = new GroupsResult
            {
                Run = run,
                Part = part,
                WindowSeconds = (redisSample1.At - redisSample0.At).TotalSeconds,
                LoadAverage = $"{load0} → {load1}",
                ConnectSeconds = connectTime.TotalSeconds,
                ProbeSnapshotMs = [.. probes],
                StreamSnapshotMs = [.. pool.Subscribers.Select(s => s.FirstSnapshotMs).Order()],
                SubscribersHeldMin = subscribersSeen,
                QueryRssAfterConnectBytes = afterConnect.RssBytes,
                QueryRssBytes = querySample1.RssBytes,
                QueryPeakRssBytes = peakRss,
                QueryCores = querySample1.CoresSince(querySample0),
                RedisCores = redisSample1.CoresSince(redisSample0),
                IngestCores = ingestSample1.CoresSince(ingestSample0),
                ClientCores = selfSample1.CoresSince(selfSample0),
                LogLines = lines.Count,
                IngestTransitionsDroppedSinceStart = ingestMetrics1["presence_transitions_dropped_total"],
                Check = check,
                CountMismatches = pool.Subscribers.Sum(s => s.CountMismatches),
                ClientDelays = new Dictionary<TransitionKind, double[]>
                {
                    [TransitionKind.Online] = Delays(delivered, TransitionKind.Online),
                    [TransitionKind.Timeout] = Delays(delivered, TransitionKind.Timeout),
                    [TransitionKind.Signout] = Delays(delivered, TransitionKind.Signout),
                },
                ServerOnline = queryMetrics1.Histogram("presence_event_delay_seconds", "type=\"online\"").Minus(queryMetrics0.Histogram("presence_event_delay_seconds", "type=\"online\"")),
                ServerOffline = queryMetrics1.Histogram("presence_event_delay_seconds", "type=\"offline\"").Minus(queryMetrics0.Histogram("presence_event_delay_seconds", "type=\"offline\"")),
                Store = StoreWork.Between(stats0, stats1),
            };
            Report.PrintGroups([result]);
            Console.WriteLine();
            return result;
        }
        finally
        {
            if (pool is not null)
                await pool.DisposeAsync();
            query.Stop(TimeSpan.FromSeconds(15));
        }
    }

    private static double[] Delays(List<Delivery> delivered, TransitionKind kind) =>
        [.. delivered.Where(d => d.Kind == kind).Select(d => d.DelayMs).Order()];
}
