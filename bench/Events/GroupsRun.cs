using System.Diagnostics;
using System.Globalization;
using System.Net;
using Presence.LoadGen.Internal;
using Presence.Testing;

namespace Presence.Bench.Events;

/// <summary>
/// One run of the groups benchmark (issue 22): the events run's load (users × 10 s, a share
/// churning), the groups written once through the membership route with an admin key, then two
/// pairs of parts, the two of a pair side by side, each on a fresh presence-query of its own so that
/// its RSS and CPU are its own: one stream on a group of <see cref="BenchOptions.BigGroup"/> members
/// beside one id stream (POST) of the same ids; <see cref="BenchOptions.Groups"/> streams on groups of
/// <see cref="BenchOptions.GroupSize"/> beside as many id streams of the same blocks. Each part
/// measures, over the pair's steady window, the delay of every event at the subscribers, the node's
/// CPU and RSS, and checks every delivery against the events log; the group side's delay is also
/// compared line by line with the id side's (the same lines, the same load, the same moment).
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
            int loadSeconds = (int)Services.CatchUpLimit.TotalSeconds + 2 * (options.Duration + 600) + 120;
            loadgen = services.StartChurnLoadGen(udp, options, loadSeconds);
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

            foreach (var pair in parts.Chunk(2))
                results.AddRange(await PairAsync(services, redis, redisPid, options, run, pair, queryArgs, plan, ingest, ingestHttp, loadgen, loadClock));
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

    /// <summary>
    /// One pair of parts over the same ids, side by side: each on a fresh presence-query of its own, over
    /// the same window, so that both see the same log lines under the same load; a delivery's delay at
    /// the group streams is compared with the same line's at the id streams.
    /// </summary>
    private static async Task<GroupsResult[]> PairAsync(Services services, RedisProbe redis, int redisPid, BenchOptions options, int run, GroupsPart[] pair,
        string[] queryArgs, ChurnPlan plan, ChildProcess ingest, int ingestHttp, ChildProcess loadgen, Stopwatch loadClock)
    {
        Console.WriteLine($"-- side by side: {string.Join(" | ", pair.Select(p => p.Name))}");
        var sides = new List<Side>();
        try
        {
            foreach (var part in pair)
            {
                var (query, http) = await services.StartQueryAsync(part.Layout.Subscribers, queryArgs);
                sides.Add(new Side(part, query, http));
            }
            var processes = new[] { ingest, loadgen }.Concat(sides.Select(s => s.Query)).ToArray();
            foreach (var side in sides)
            {
                await services.SubscribeOnceAsync(side.Http);
                await services.WaitLogQuietAsync(ingestHttp, side.Http, 2 * plan.Churning / plan.PeriodSeconds, processes);
            }
            void Watchdog()
            {
                services.Interrupt.ThrowIfCancellationRequested();
                Array.ForEach(processes, p => p.ThrowIfExited());
            }

            // The snapshot of a large stream, one at a time (the sides taking turns): what a client waits for when it opens one.
            if (pair[0].Layout.Subscribers == 1)
            {
                for (int i = 0; i < Probes; i++)
                {
                    foreach (var side in sides)
                    {
                        await using var probe = new SubscriberPool(side.Part.Layout, side.Server, 1, side.Part.Shape);
                        await probe.ConnectAllAsync(ConnectTimeout(side.Part), Watchdog);
                        side.Probes.Add(probe.Subscribers[0].FirstSnapshotMs);
                    }
                }
                foreach (var side in sides)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {side.Part.Name}: snapshot of {side.Part.Layout.Watch:N0} ids, {Probes} probes one at a time: {string.Join(", ", side.Probes.Select(p => p.ToString("N0", CultureInfo.InvariantCulture)))} ms"));
            }

            foreach (var side in sides)
            {
                side.Pool = new SubscriberPool(side.Part.Layout, side.Server, options.ConnectAtOnce, side.Part.Shape);
                side.ConnectTime = await side.Pool.ConnectAllAsync(ConnectTimeout(side.Part), Watchdog);
                side.AfterConnect = ProcessSample.Take(side.Query.Pid);
                Console.WriteLine($"  {side.Part.Name}: up after {side.ConnectTime.TotalSeconds:0.0} s; presence-query RSS {side.AfterConnect.RssBytes / 1048576.0:N0} MB");
            }
            var steadyIn = TimeSpan.FromSeconds(BenchOptions.SteadyAfter) - loadClock.Elapsed;
            await services.WaitAsync(steadyIn > TimeSpan.FromSeconds(Settle) ? steadyIn : TimeSpan.FromSeconds(Settle), processes);

            long seq0 = await redis.LogLastSeqAsync();
            var stats0 = await redis.CommandStatsAsync();
            foreach (var side in sides)
                await side.StartWindowAsync();
            var others0 = OtherProcesses.Take(redisPid, ingest.Pid);
            string load0 = Machine.LoadAverages();
            Console.WriteLine($"  window: {options.Duration} s from {loadClock.Elapsed.TotalSeconds:0} s after the generator started, log at line {seq0:N0}, load average {load0}");
            var windowClock = Stopwatch.StartNew();
            while (windowClock.Elapsed < TimeSpan.FromSeconds(options.Duration))
            {
                await services.WaitAsync(TimeSpan.FromSeconds(Math.Min(5, options.Duration - windowClock.Elapsed.TotalSeconds)), processes);
                foreach (var side in sides)
                    await side.SampleAsync();
            }
            foreach (var side in sides)
                await side.EndWindowAsync();
            var ingestMetrics1 = await MetricsPage.ScrapeAsync(ingestHttp);
            var others1 = OtherProcesses.Take(redisPid, ingest.Pid);
            var stats1 = await redis.CommandStatsAsync();
            long seq1 = await redis.LogLastSeqAsync();
            string load1 = Machine.LoadAverages();

            var lines = await redis.LogLinesAsync(seq0, seq1);
            long expected = sides.Sum(side => lines.Sum(l => (long)side.Part.Layout.SubscribersOf(l.UserId).Count()));
            await WindowMeasure.AwaitDeliveriesAsync(() => sides.Sum(side => side.Pool!.Subscribers.Sum(s => (long)s.CountReceived(seq0, seq1))), expected, services.Interrupt);

            // Each line's receive time at a group stream against the same line's at the id stream of the same block.
            var atIds = sides.First(s => !s.Part.IsGroup).Pool!.Subscribers
                .SelectMany(s => s.Deliveries().Select(d => (s.Index, d.Seq, d.ReceivedMs)))
                .ToDictionary(d => (d.Index, d.Seq), d => d.ReceivedMs);
            double[] extra = [.. sides.First(s => s.Part.IsGroup).Pool!.Subscribers
                .SelectMany(s => s.Deliveries().Where(d => d.Seq > seq0 && d.Seq <= seq1).Select(d => (s.Index, d)))
                .Where(x => atIds.ContainsKey((x.Index, x.d.Seq)))
                .Select(x => x.d.ReceivedMs - atIds[(x.Index, x.d.Seq)])
                .Order()];

            var results = sides.Select(side =>
            {
                var pool = side.Pool!;
                var clientDelays = WindowMeasure.ClientDelays(pool, seq0, seq1);
                return new GroupsResult
                {
                    Run = run,
                    Part = side.Part,
                    WindowSeconds = (others1.Redis.At - others0.Redis.At).TotalSeconds,
                    LoadAverage = $"{load0} → {load1}",
                    ConnectSeconds = side.ConnectTime.TotalSeconds,
                    ProbeSnapshotMs = [.. side.Probes],
                    StreamSnapshotMs = [.. pool.Subscribers.Select(s => s.FirstSnapshotMs).Order()],
                    SubscribersHeldMin = side.SubscribersSeen,
                    QueryRssAfterConnectBytes = side.AfterConnect.RssBytes,
                    QueryRssBytes = side.Sample1.RssBytes,
                    QueryPeakRssBytes = side.PeakRss,
                    QueryCores = side.Sample1.CoresSince(side.Sample0),
                    RedisCores = others1.Redis.CoresSince(others0.Redis),
                    IngestCores = others1.Ingest.CoresSince(others0.Ingest),
                    ClientCores = others1.Self.CoresSince(others0.Self),
                    LogLines = lines.Count,
                    IngestTransitionsDroppedSinceStart = ingestMetrics1["presence_transitions_dropped_total"],
                    Check = DeliveryCheck.Run(pool, side.Part.Layout, lines, seq0, seq1),
                    CountMismatches = pool.Subscribers.Sum(s => s.CountMismatches),
                    ClientDelays = clientDelays,
                    ServerOnline = WindowMeasure.ServerDelays(side.Metrics0, side.Metrics1, "online"),
                    ServerOffline = WindowMeasure.ServerDelays(side.Metrics0, side.Metrics1, "offline"),
                    Store = StoreWork.Between(stats0, stats1),
                    ExtraOverIdsMs = side.Part.IsGroup ? extra : [],
                };
            }).ToArray();
            Report.PrintGroups(results);
            Console.WriteLine();
            return results;
        }
        finally
        {
            foreach (var side in sides)
            {
                if (side.Pool is not null)
                    await side.Pool.DisposeAsync();
                side.Query.Stop(TimeSpan.FromSeconds(15));
            }
        }
    }

    private static TimeSpan ConnectTimeout(GroupsPart part) => TimeSpan.FromSeconds(Math.Max(120, part.Layout.Subscribers / 20));

    /// <summary>One side of a pair: its node, its streams, and the node's samples over the window.</summary>
    private sealed class Side(GroupsPart part, ChildProcess query, int http)
    {
        public GroupsPart Part { get; } = part;
        public ChildProcess Query { get; } = query;
        public int Http { get; } = http;
        public IPEndPoint Server { get; } = new(IPAddress.Loopback, http);
        public List<double> Probes { get; } = [];
        public SubscriberPool? Pool { get; set; }
        public TimeSpan ConnectTime { get; set; }
        public ProcessSample AfterConnect { get; set; }
        public ProcessSample Sample0 { get; private set; }
        public ProcessSample Sample1 { get; private set; }
        public MetricsPage Metrics0 { get; private set; } = null!;
        public MetricsPage Metrics1 { get; private set; } = null!;
        public long PeakRss { get; private set; }
        public double SubscribersSeen { get; private set; } = double.MaxValue;

        public async Task StartWindowAsync()
        {
            Metrics0 = await MetricsPage.ScrapeAsync(Http);
            Sample0 = ProcessSample.Take(Query.Pid);
            PeakRss = Sample0.RssBytes;
        }

        public async Task SampleAsync()
        {
            PeakRss = Math.Max(PeakRss, ProcessSample.Take(Query.Pid).RssBytes);
            SubscribersSeen = Math.Min(SubscribersSeen, (await MetricsPage.ScrapeAsync(Http))["presence_event_subscribers"]);
        }

        public async Task EndWindowAsync()
        {
            Metrics1 = await MetricsPage.ScrapeAsync(Http);
            Sample1 = ProcessSample.Take(Query.Pid);
            PeakRss = Math.Max(PeakRss, Sample1.RssBytes);
        }
    }
}
