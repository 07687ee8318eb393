using System.Diagnostics;
using System.Net;
using Presence.Core.Events;
using Presence.LoadGen.Internal;
using Presence.Testing;

namespace Presence.Bench.Events;

/// <summary>
/// One run of the events benchmark: users × 10 s heartbeats with a share churning, one query node
/// holding the subscribers, and a steady window in which delivery delays, the node's resources and
/// the store's work are measured; then every delivery in the window is checked against the events
/// log itself (each line to each subscriber watching its user, exactly once).
/// </summary>
internal static class EventsRun
{

    public static async Task<EventsResult> RunAsync(Services services, RedisProbe redis, int redisPid, BenchOptions options, int run)
    {
        var layout = new WatchLayout(options.Users, 1, options.Watch, options.Subscribers);
        var plan = new ChurnPlan(options.Users, options.Churn, BenchOptions.ChurnActive, BenchOptions.ChurnSilent, BenchOptions.ChurnSignOut);
        Console.WriteLine($"== events, run {run} of {options.Repeat}: {options.Users:N0} users × {BenchOptions.Interval} s, churn {options.Churn:0.###} ({BenchOptions.ChurnActive} s active / {BenchOptions.ChurnSilent} s silent, {BenchOptions.ChurnSignOut:0.##} signing out), {options.Subscribers:N0} subscribers × {options.Watch} ids, window {options.Duration} s");
        await redis.FlushAllAsync();
        var (ingest, udp, ingestHttp) = await services.StartIngestAsync(events: true);
        ChildProcess? query = null, loadgen = null;
        SubscriberPool? pool = null;
        try
        {
            (query, int queryHttp) = await services.StartQueryAsync(options.Subscribers);
            // A node follows the events log from its first subscription on: open one and close it,
            // so its feed reads the start's online burst while the benchmark waits for it.
            await services.SubscribeOnceAsync(queryHttp);
            var connectTimeout = TimeSpan.FromSeconds(Math.Max(120, options.Subscribers / 20));
            // An upper bound (the generator is stopped when the window is done): the catch-up, the connections, the window.
            int loadSeconds = (int)(Services.CatchUpLimit + connectTimeout).TotalSeconds + options.Duration + 60;
            loadgen = services.StartChurnLoadGen(udp, options, loadSeconds);
            var loadClock = Stopwatch.StartNew();
            var processes = new[] { ingest, query, loadgen };

            // Every user's first heartbeat (one interval), its online line appended, and the node's feed caught up.
            await services.WaitAsync(TimeSpan.FromSeconds(BenchOptions.Interval + 2), processes);
            await services.WaitLogQuietAsync(ingestHttp, queryHttp, 2 * plan.Churning / plan.PeriodSeconds, processes);
            Console.WriteLine($"  feed caught up {loadClock.Elapsed.TotalSeconds:0} s after the generator started; connecting {options.Subscribers:N0} subscribers, {options.ConnectAtOnce} at a time");

            pool = new SubscriberPool(layout, new IPEndPoint(IPAddress.Loopback, queryHttp), options.ConnectAtOnce);
            var connectTime = await pool.ConnectAllAsync(connectTimeout, () =>
            {
                services.Interrupt.ThrowIfCancellationRequested();
                Array.ForEach(processes, p => p.ThrowIfExited());
            });
            var afterConnect = ProcessSample.Take(query.Pid);
            Console.WriteLine($"  {options.Subscribers:N0} subscribers streaming after {connectTime.TotalSeconds:0.0} s; presence-query RSS {afterConnect.RssBytes / 1048576.0:N0} MB");

            // The window starts once every kind of transition comes at its steady rate, and a little after the last snapshot.
            var steadyIn = TimeSpan.FromSeconds(BenchOptions.SteadyAfter) - loadClock.Elapsed;
            await services.WaitAsync(steadyIn > TimeSpan.FromSeconds(5) ? steadyIn : TimeSpan.FromSeconds(5), processes);

            long seq0 = await redis.LogLastSeqAsync();
            var stats0 = await redis.CommandStatsAsync();
            var ingestMetrics0 = await MetricsPage.ScrapeAsync(ingestHttp);
            var queryMetrics0 = await MetricsPage.ScrapeAsync(queryHttp);
            var querySample0 = ProcessSample.Take(query.Pid);
            var others0 = OtherProcesses.Take(redisPid, ingest.Pid);
            string load0 = Machine.LoadAverages();
            Console.WriteLine($"  window: {options.Duration} s from {loadClock.Elapsed.TotalSeconds:0} s after the generator started, log at line {seq0:N0}, load average {load0}");

            long peakRss = querySample0.RssBytes;
            double pendingMax = ingestMetrics0["presence_pending_users"];
            double subscribersSeen = double.MaxValue;
            var windowClock = Stopwatch.StartNew();
            while (windowClock.Elapsed < TimeSpan.FromSeconds(options.Duration))
            {
                await services.WaitAsync(TimeSpan.FromSeconds(Math.Min(5, options.Duration - windowClock.Elapsed.TotalSeconds)), processes);
                peakRss = Math.Max(peakRss, ProcessSample.Take(query.Pid).RssBytes);
                var page = await MetricsPage.ScrapeAsync(queryHttp);
                subscribersSeen = Math.Min(subscribersSeen, page["presence_event_subscribers"]);
                pendingMax = Math.Max(pendingMax, (await MetricsPage.ScrapeAsync(ingestHttp))["presence_pending_users"]);
                if ((int)windowClock.Elapsed.TotalSeconds % 20 < 5)
                    Console.WriteLine($"  {windowClock.Elapsed.TotalSeconds,5:0} s  events received {pool.Subscribers.Sum(s => (long)s.DeliveryCount),9:N0}  streams {page["presence_event_subscribers"]:N0}  RSS {peakRss / 1048576.0:N0} MB");
            }
            var queryMetrics1 = await MetricsPage.ScrapeAsync(queryHttp);
            var ingestMetrics1 = await MetricsPage.ScrapeAsync(ingestHttp);
            var querySample1 = ProcessSample.Take(query.Pid);
            var others1 = OtherProcesses.Take(redisPid, ingest.Pid);
            var stats1 = await redis.CommandStatsAsync();
            long seq1 = await redis.LogLastSeqAsync();
            string load1 = Machine.LoadAverages();
            peakRss = Math.Max(peakRss, querySample1.RssBytes);

            // Every line of the window, and who should have it.
            var lines = await redis.LogLinesAsync(seq0, seq1);
            long expectedDeliveries = lines.Sum(l => (long)layout.SubscribersOf(l.UserId).Count());
            await WindowMeasure.AwaitDeliveriesAsync(() => Received(pool, seq0, seq1), expectedDeliveries, services.Interrupt);
            var check = DeliveryCheck.Run(pool, layout, lines, seq0, seq1);

            double window = (others1.Redis.At - others0.Redis.At).TotalSeconds;
            var clientDelays = WindowMeasure.ClientDelays(pool, seq0, seq1);
            var result = new EventsResult
            {
                Run = run,
                WindowSeconds = window,
                LoadAverage = $"{load0} → {load1}",
                ConnectSeconds = connectTime.TotalSeconds,
                Subscribers = options.Subscribers,
                SubscribersHeldMin = subscribersSeen,
                WatchedIds = (long)options.Subscribers * options.Watch,
                DistinctWatchedIds = layout.DistinctIds,
                QueryRssBytes = querySample1.RssBytes,
                QueryPeakRssBytes = peakRss,
                QueryRssAfterConnectBytes = afterConnect.RssBytes,
                QueryCores = querySample1.CoresSince(querySample0),
                RedisCores = others1.Redis.CoresSince(others0.Redis),
                IngestCores = others1.Ingest.CoresSince(others0.Ingest),
                ClientCores = others1.Self.CoresSince(others0.Self),
                Plan = plan,
                LogOnline = lines.Count(l => l.Kind == TransitionKind.Online),
                LogTimeout = lines.Count(l => l.Kind == TransitionKind.Timeout),
                LogSignout = lines.Count(l => l.Kind == TransitionKind.Signout),
                LogNotChurning = lines.Count(l => !plan.IsChurning((int)(l.UserId - 1), out _)),
                IngestTransitions = Delta(ingestMetrics0, ingestMetrics1, "presence_transitions_total{type=\"online\"}")
                    + Delta(ingestMetrics0, ingestMetrics1, "presence_transitions_total{type=\"timeout\"}")
                    + Delta(ingestMetrics0, ingestMetrics1, "presence_transitions_total{type=\"signout\"}"),
                IngestAppends = Delta(ingestMetrics0, ingestMetrics1, "presence_event_log_appends_total{result=\"ok\"}")
                    + Delta(ingestMetrics0, ingestMetrics1, "presence_event_log_appends_total{result=\"failed\"}"),
                IngestTransitionsDropped = Delta(ingestMetrics0, ingestMetrics1, "presence_transitions_dropped_total"),
                IngestTransitionsDroppedSinceStart = ingestMetrics1["presence_transitions_dropped_total"],
                PendingUsersMax = pendingMax,
                KernelDrops = Delta(ingestMetrics0, ingestMetrics1, "presence_udp_kernel_drops_total"),
                HeartbeatsPerSecond = Delta(ingestMetrics0, ingestMetrics1, "presence_records_accepted_total") / window,
                PresenceWrites = Delta(ingestMetrics0, ingestMetrics1, "presence_store_writes_total{result=\"ok\"}"),
                LastSeenWrites = new[] { "written", "kept", "failed", "dropped" }
                    .Sum(result => Delta(ingestMetrics0, ingestMetrics1, $"presence_last_seen_writes_total{{result=\"{result}\"}}")),
                Check = check,
                ClientDelays = clientDelays,
                ServerOnline = WindowMeasure.ServerDelays(queryMetrics0, queryMetrics1, "online"),
                ServerOffline = WindowMeasure.ServerDelays(queryMetrics0, queryMetrics1, "offline"),
                StreamsEndedByNode = Delta(queryMetrics0, queryMetrics1, "presence_event_streams_ended_total{reason=\"overflow\"}"),
                FeedErrors = Delta(queryMetrics0, queryMetrics1, "presence_event_feed_errors_total"),
                Resyncs = Delta(queryMetrics0, queryMetrics1, "presence_event_resyncs_total"),
                Store = StoreWork.Between(stats0, stats1),
            };
            Report.PrintEvents([result]);
            Console.WriteLine();
            return result;
        }
        finally
        {
            if (loadgen is not null)
                loadgen.Stop(TimeSpan.FromSeconds(10));
            if (pool is not null)
                await pool.DisposeAsync();
            if (query is not null)
                query.Stop(TimeSpan.FromSeconds(15));
            ingest.Stop(TimeSpan.FromSeconds(15));
        }
    }

    private static double Delta(MetricsPage before, MetricsPage after, string series) => after[series] - before[series];

    private static long Received(SubscriberPool pool, long after, long upTo) =>
        pool.Subscribers.Sum(s => (long)s.CountReceived(after, upTo));
}
