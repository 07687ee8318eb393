using System.Globalization;
using Presence.Testing;

namespace Presence.Bench.EndToEnd;

/// <summary>
/// One run of one receiver at one offered rate: FLUSHALL, start the receiver, run presence-loadgen
/// on its schedule (users = rate × interval) with --last-sent; when judging at stop, freeze the
/// receiver a second after the last send, read every user's stored time and judge each user's
/// latest heartbeat then (<see cref="JudgeAtStopAsync"/>), and let it go; wait for the receiver to
/// drain, read every user's stored time, judge each user's latest heartbeat (<see cref="LossCheck"/>),
/// stop the receiver. CPU of the receiver, redis-server and the generator over the sending period, and the
/// rest of the machine's, come with it.
/// </summary>
internal sealed class Runner(Binaries bins, Store store, RedisServer redis, E2eOptions options)
{
    private const long TtlMs = 30_000;

    /// <summary>
    /// How long after the last heartbeat sent the receiver is frozen for the at-stop judgement (or
    /// as soon as the generator exited, when that is later). Not zero: the ingest writes in 100 ms
    /// windows, and each 10 ms a receiver is behind leaves 0.1% of users (interval 10 s) stale at
    /// that moment; with the freeze a second after the last send, a receiver L s behind leaves about
    /// (L − 1) ÷ interval of users stale, so ≤ 0.1% means it kept up within about a second.
    /// </summary>
    private const int StopGraceMs = 1000;
    private static readonly TimeSpan s_settleTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(60);

    /// <param name="Metrics">The ingest's /metrics just before the freeze (null for the baseline).</param>
    private sealed record AtStop(LossCheck Check, long GapMs, bool Settled, Dictionary<string, double>? Metrics);

    /// <param name="whileRunning">Called once the receiver drained and every user's time was read, before the receiver stops.</param>
    public async Task<RunResult> RunAsync(SystemKind system, int rate, int interval, int duration, int perFrame, Func<Task>? whileRunning = null)
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
            Dictionary<string, double>? warm = null, lagAt = null;
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

            var sent = LoadGenRun.ReadLastSent(lastSentPath, users);
            // Oldest last send first: the keys closest to expiring (correctly, TTL after their last
            // heartbeat) are read first, so a check of millions of keys does not outlast them.
            var order = Enumerable.Range(0, users).ToArray();
            Array.Sort((long[])sent.Clone(), order);
            AtStop? atStop = null;
            if (options.JudgeAtStop)
            {
                atStop = await JudgeAtStopAsync(receiver, sent, order, loadgen.FirstId);
                lagAt = atStop.Metrics;
            }

            var drainClock = System.Diagnostics.Stopwatch.StartNew();
            bool drained = await receiver.DrainAsync(s_drainTimeout);
            double drainSeconds = drainClock.Elapsed.TotalSeconds;
            var counts = await receiver.CountsAsync();
            var memory = receiver.Memory();
            long peakRss = memory.PeakRssBytes;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {Report.Name(system)} memory once drained: RSS {memory.RssBytes / 1048576.0:N0} MB now, {peakRss / 1048576.0:N0} MB at its peak"));

            var (stored, readAt) = await store.ReadTimesAsync(loadgen.FirstId, order);
            var check = LossCheck.Compute(sent, stored, readAt, options.SlackMs, TtlMs);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  drained: MGET presence:<id> for ids {loadgen.FirstId:N0} … {loadgen.FirstId + (ulong)users - 1:N0}: {check.Users:N0} users sent ({check.NotSent:N0} never), " +
                $"{check.Fresh:N0} hold their last send, {check.Stale:N0} stale (older than their last send − {options.SlackMs} ms), {check.Missing:N0} missing; " +
                $"stored − last send: min {check.OffsetMinMs} ms, median {check.OffsetMedianMs} ms, max {check.OffsetMaxMs} ms; {check.WithinSlack:N0} within the slack"));

            if (system == SystemKind.Presence && counts.Metrics is { } afterDrain)
            {
                Console.WriteLine($"  events log: {(lagAt is { } beforeFreeze ? $"{beforeFreeze.EventsSummary()} before the freeze; " : "")}{afterDrain.EventsSummary()} drained");
                // A burst the log could not take at once is held, not lost: wait until it is all appended (or say it was not).
                if (afterDrain.Get("presence_event_log_backlog") > 0 && options.LogWaitSeconds > 0)
                {
                    var wait = TimeSpan.FromSeconds(options.LogWaitSeconds);
                    var (seconds, caughtUp) = await receiver.EventLogCaughtUpAsync(wait);
                    Console.WriteLine(seconds is { } s
                        ? string.Create(CultureInfo.InvariantCulture, $"  events log caught up {s:N1} s after the drain: {caughtUp.EventsSummary()}")
                        : string.Create(CultureInfo.InvariantCulture, $"  events log NOT caught up within {wait.TotalSeconds:0} s of the drain: {caughtUp.Get("presence_event_log_backlog"):N0} still waiting; {caughtUp.EventsSummary()}"));
                }
            }

            if (whileRunning is not null)
                await whileRunning();
            string note = await receiver.StopAsync();
            if (system == SystemKind.Baseline)
                counts = await receiver.CountsAsync(); // final, after SIGTERM
            if (!drained)
                note += $" NOT DRAINED within {s_drainTimeout.TotalSeconds:0} s ({counts.Outstanding:N0} still held)";
            if (check.LateChecked > 0)
                note += $" {check.LateChecked:N0} missing users were sent more than the TTL − 1 s before the check (may have expired after a good write)";
            if (loadgen.Errors > 0)
                note += $" generator send errors {loadgen.Errors:N0}";
            if (counts.Metrics is { } written && written.Get("presence_store_writes_total{result=\"failed\"}") is > 0 and var failed)
                note += $" {failed:N0} store writes failed and were retried{(atStop is not null ? " (a command can time out across the freeze)" : "")}";
            if (atStop is { Settled: false })
                note += " the store had not settled 2 s into the freeze (read anyway)";
            double p50 = double.NaN, p99 = double.NaN;
            if ((lagAt ?? counts.Metrics) is { } m)
            {
                p50 = Metrics.Quantile(m, warm, "presence_write_lag_seconds", 0.5);
                p99 = Metrics.Quantile(m, warm, "presence_write_lag_seconds", 0.99);
            }
            return new RunResult(system, rate, loadgen.RecordsPerSecond, check.Users, loadgen.RecordsSent, loadgen.Errors,
                counts.Accepted, counts.Written, check.Stale, check.Missing, check.WithinSlack, check.LateChecked, counts.Drops, split, peakRss,
                p50, p99, drainSeconds, load, note.Trim())
            {
                JudgedAtStop = atStop is not null,
                StaleAtStop = atStop?.Check.Stale ?? 0,
                MissingAtStop = atStop?.Check.Missing ?? 0,
                StopGapMs = atStop?.GapMs ?? 0,
            };
        }
        finally
        {
            File.Delete(lastSentPath);
        }
    }

    /// <summary>
    /// Sustained judging: each user's latest heartbeat against what the store holds when sending
    /// stopped. The receiver is frozen (SIGSTOP to its process group, every thread seen stopped)
    /// <see cref="StopGraceMs"/> after the last send, every user's key is read as the drained check
    /// reads it (same order, same <see cref="LossCheck"/>), and the receiver is let go again
    /// (SIGCONT, in a finally) to drain as before. Freezing makes the reading exact: nothing the
    /// receiver has not written by the freeze can land while it is stopped, except commands it had
    /// already sent on its sockets to the store, which the store applies within moments: the
    /// reading waits until the store has applied them (<see cref="Store.SettleAsync"/>, its command
    /// count still), and says how many there were.
    /// </summary>
    private async Task<AtStop> JudgeAtStopAsync(Receiver receiver, long[] sent, int[] order, ulong firstId)
    {
        long lastSend = sent.Max();
        long wait = lastSend + StopGraceMs - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (wait > 0)
            await Task.Delay(TimeSpan.FromMilliseconds(wait));
        // The write lag is read just before the freeze: a write held across it would count the
        // seconds the receiver was stopped as lag. So with at-stop judging the lag is that of the
        // writes confirmed from the warm-up until the freeze, without the drain's.
        var metrics = receiver.System == SystemKind.Presence ? (await receiver.CountsAsync()).Metrics : null;
        using var freeze = await ReceiverFreeze.BeginAsync(receiver);
        long gap = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - lastSend;
        var (applied, settled) = await store.SettleAsync(s_settleTimeout);
        double settleSeconds = freeze.Seconds;
        var (stored, readAt) = await store.ReadTimesAsync(firstId, order);
        var check = LossCheck.Compute(sent, stored, readAt, options.SlackMs, TtlMs);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  at stop: {Report.Name(receiver.System)} frozen {gap:N0} ms after the last heartbeat sent; the store then applied {applied:N0} command(s) already sent on its sockets " +
            $"({(settled ? "settled" : "NOT settled")} in {settleSeconds * 1000:N0} ms: nothing else can land while it is stopped); read every key in {freeze.Seconds - settleSeconds:0.00} s: " +
            $"{check.Fresh:N0} hold their last send, {check.Stale:N0} stale, {check.Missing:N0} missing of {check.Users:N0} = {(check.Users > 0 ? 100.0 * (check.Stale + check.Missing) / check.Users : 0):0.000}% lost at stop"));
        return new AtStop(check, gap, settled, metrics);
    }
}
