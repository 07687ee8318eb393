using System.Text.Json;
using Presence.Testing;

namespace Presence.Bench.Events;

/// <summary>
/// One run of the heartbeat-path A/B (issue 12, item 2): the seed workload (users × 10 s, no churn,
/// no subscribers) against presence-ingest with <c>--events off</c> (plain <c>SET … PX</c>) or
/// <c>on</c> (<c>SET … PX GET</c>, the expiry tracker, the events log). After a warm-up in which
/// every user comes online (with events on: the online burst is appended), the CPU time of
/// redis-server and of presence-ingest over a steady window is divided by the heartbeats the
/// ingester accepted in it.
/// </summary>
internal static class CostRun
{
    public static async Task<CostResult> RunAsync(Services services, RedisProbe redis, int redisPid, bool events, BenchOptions options, int run)
    {
        Console.WriteLine($"== heartbeat path, --events {(events ? "on" : "off")}, run {run} of {options.Repeat}: {options.CostUsers:N0} users × {BenchOptions.Interval} s, warm-up {options.CostWarmup} s, window {options.CostWindow} s");
        await redis.FlushAllAsync();
        var (ingest, udp, http) = await services.StartIngestAsync(events);
        ChildProcess? loadgen = null;
        try
        {
            // An upper bound (stopped after the window): with events on, the window waits for the start's online burst to be appended.
            int loadSeconds = options.CostWarmup + (events ? (int)Services.CatchUpLimit.TotalSeconds : 0) + options.CostWindow + 10;
            loadgen = services.StartLoadGen(udp, options.CostUsers, loadSeconds);
            var loadClock = System.Diagnostics.Stopwatch.StartNew();
            await services.WaitAsync(TimeSpan.FromSeconds(options.CostWarmup), ingest, loadgen);
            if (events)
            {
                // Every user's first write found no key: the window starts once those onlines are appended (no churn: nothing after).
                await services.WaitLogQuietAsync(http, null, 0, ingest, loadgen);
                Console.WriteLine($"  online burst appended {loadClock.Elapsed.TotalSeconds:0} s after the generator started");
            }

            var redis0 = ProcessSample.Take(redisPid);
            var ingest0 = ProcessSample.Take(ingest.Pid);
            var metrics0 = await MetricsPage.ScrapeAsync(http);
            double pendingMax = metrics0["presence_pending_users"];
            var windowEnd = DateTime.UtcNow.AddSeconds(options.CostWindow);
            while (DateTime.UtcNow < windowEnd)
            {
                var left = windowEnd - DateTime.UtcNow;
                await services.WaitAsync(left < TimeSpan.FromSeconds(2) ? left : TimeSpan.FromSeconds(2), ingest, loadgen);
                pendingMax = Math.Max(pendingMax, (await MetricsPage.ScrapeAsync(http))["presence_pending_users"]);
            }
            var metrics1 = await MetricsPage.ScrapeAsync(http);
            var redis1 = ProcessSample.Take(redisPid);
            var ingest1 = ProcessSample.Take(ingest.Pid);

            // SIGTERM stops the generator's sending; it still prints its summary.
            loadgen.Stop(TimeSpan.FromSeconds(30));
            if (loadgen.ExitCode != 0)
                throw new InvalidOperationException($"presence-loadgen exited {loadgen.ExitCode}:\n{loadgen.Tail()}");
            using var summary = JsonDocument.Parse(loadgen.Stdout);
            double sentPerSecond = summary.RootElement.GetProperty("recordsPerSecond").GetDouble();

            double Delta(string series) => metrics1[series] - metrics0[series];
            double heartbeats = Delta("presence_records_accepted_total");
            var result = new CostResult(
                Events: events,
                Run: run,
                WindowSeconds: (redis1.At - redis0.At).TotalSeconds,
                Heartbeats: heartbeats,
                SentPerSecond: sentPerSecond,
                RedisCpuSeconds: redis1.CpuSecondsSince(redis0),
                IngestCpuSeconds: ingest1.CpuSecondsSince(ingest0),
                Transitions: Delta("presence_transitions_total{type=\"online\"}") + Delta("presence_transitions_total{type=\"timeout\"}") + Delta("presence_transitions_total{type=\"signout\"}"),
                KernelDrops: Delta("presence_udp_kernel_drops_total"),
                PendingUsersMax: pendingMax,
                WritesPerSecond: Delta("presence_store_writes_total{result=\"ok\"}") / (redis1.At - redis0.At).TotalSeconds,
                LoadAverage: Machine.LoadAverages());
            Report.PrintCost([result]);
            Console.WriteLine();
            return result;
        }
        finally
        {
            if (loadgen is not null)
                loadgen.Stop(TimeSpan.FromSeconds(10));
            ingest.Stop(TimeSpan.FromSeconds(15));
        }
    }
}
