using System.Globalization;
using Presence.Testing;

namespace Presence.Bench.EndToEnd;

/// <summary>
/// One run of one receiver at one offered rate: FLUSHALL, start the receiver, run presence-loadgen
/// on its schedule (users = rate × interval) with --last-sent, wait for the receiver to drain, read
/// every user's stored time, judge each user's latest heartbeat (<see cref="LossCheck"/>), stop the
/// receiver. CPU of the receiver, redis-server and the generator over the sending period, and the
/// rest of the machine's, come with it.
/// </summary>
internal sealed class Runner(Binaries bins, Store store, RedisServer redis, E2eOptions options)
{
    private const long TtlMs = 30_000;
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(60);

    public async Task<RunResult> RunAsync(SystemKind system, int rate, int interval, int duration, int perFrame)
    {
        int users = checked(rate * interval);
        double load = ProcStat.LoadAverage();
        await store.FlushAllAsync();
        await using var receiver = await Receiver.StartAsync(system, bins, redis.Port, options.IngestArgs);
        string lastSentPath = Path.Combine(Path.GetTempPath(), $"presence-e2e-{Environment.ProcessId}-last-sent.bin");
        try
        {
            var cpu = CpuMeter.Start(receiver.Pid, redis.Pid);
            var loadgen = LoadGenRun.Start(bins, receiver.UdpPort, users, interval, duration, perFrame, rateCap: null, lastSentPath);
            // The write-lag histogram is read after a warm-up (a quarter of the run, at most 5 s):
            // the first round creates every key, the later rounds are the steady state.
            Dictionary<string, double>? warm = null;
            if (system == SystemKind.Presence)
            {
                using var warmup = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Min(5, duration / 4.0)));
                try
                {
                    await loadgen.WaitAsync(warmup.Token);
                }
                catch (OperationCanceledException)
                {
                    warm = (await receiver.CountsAsync()).Metrics;
                }
            }
            await loadgen.FinishAsync();
            var split = cpu.Stop(loadgen.Cores);
            Console.WriteLine($"  {Report.Name(system)} cores by thread while sending: {cpu.ReceiverThreads}");

            var drainClock = System.Diagnostics.Stopwatch.StartNew();
            bool drained = await receiver.DrainAsync(s_drainTimeout);
            double drainSeconds = drainClock.Elapsed.TotalSeconds;
            var counts = await receiver.CountsAsync();
            long peakRss = receiver.PeakRssBytes();

            var sent = LoadGenRun.ReadLastSent(lastSentPath, users);
            // Oldest last send first: the keys closest to expiring (correctly, TTL after their last
            // heartbeat) are read first, so a check of millions of keys does not outlast them.
            var order = Enumerable.Range(0, users).ToArray();
            Array.Sort((long[])sent.Clone(), order);
            var (stored, readAt) = await store.ReadTimesAsync(loadgen.FirstId, order);
            var check = LossCheck.Compute(sent, stored, readAt, options.SlackMs, TtlMs);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  MGET presence:<id> for ids {loadgen.FirstId:N0} … {loadgen.FirstId + (ulong)users - 1:N0}: {check.Users:N0} users sent ({check.NotSent:N0} never), " +
                $"{check.Fresh:N0} hold their last send, {check.Stale:N0} stale (older than their last send − {options.SlackMs} ms), {check.Missing:N0} missing; " +
                $"stored − last send: min {check.OffsetMinMs} ms, median {check.OffsetMedianMs} ms, max {check.OffsetMaxMs} ms; {check.WithinSlack:N0} within the slack"));

            string note = await receiver.StopAsync();
            if (system == SystemKind.Baseline)
                counts = await receiver.CountsAsync(); // final, after SIGTERM
            if (!drained)
                note += $" NOT DRAINED within {s_drainTimeout.TotalSeconds:0} s ({counts.Outstanding:N0} still held)";
            if (check.LateChecked > 0)
                note += $" {check.LateChecked:N0} missing users were sent more than the TTL − 1 s before the check (may have expired after a good write)";
            if (loadgen.Errors > 0)
                note += $" generator send errors {loadgen.Errors:N0}";
            double p50 = double.NaN, p99 = double.NaN;
            if (counts.Metrics is { } m)
            {
                p50 = Metrics.Quantile(m, warm, "presence_write_lag_seconds", 0.5);
                p99 = Metrics.Quantile(m, warm, "presence_write_lag_seconds", 0.99);
            }
            return new RunResult(system, rate, loadgen.RecordsPerSecond, check.Users, loadgen.RecordsSent, loadgen.Errors,
                counts.Accepted, counts.Written, check.Stale, check.Missing, check.WithinSlack, check.LateChecked, counts.Drops, split, peakRss,
                p50, p99, drainSeconds, load, note.Trim());
        }
        finally
        {
            File.Delete(lastSentPath);
        }
    }
}
