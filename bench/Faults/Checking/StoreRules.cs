using Presence.Bench.Faults.History;

namespace Presence.Bench.Faults.Checking;

/// <summary>Rules 6 and 7: keys expire at receive + ttl, timeouts are dated right, and no heartbeat is lost outside fault windows.</summary>
internal static class StoreRules
{
    /// <summary>The slack of TCP's first retransmission timeout (Linux: 200 ms to 1 s) on top of its doubling.</summary>
    private const long TcpRetransmitMs = 1000;

    /// <summary>
    /// expiry (per sample with a key): PEXPIRETIME − value ≤ ttl + ExpiryMarginMs, i.e. no key outlives
    /// its last receive + ttl by more than the margin; a key without an expiry (PEXPIRETIME −1) is a
    /// violation (−2, the key gone between the sample's two reads, is not judged). Samples taken in [start, end + FaultGraceMs] of a fault that
    /// disturbs the store's writes (StorePause, Partition, StoreRestart*, ClientKill) are not judged.
    /// </summary>
    public static void Expiry(CheckContext context, RuleTally rule)
    {
        long ttl = context.TtlMs;
        foreach (var sample in context.History.Samples)
        {
            if (sample.ValueMs is not { } value || sample.ExpireAtMs is not { } expireAt || expireAt < -1)
                continue;
            if (context.InWindow(sample.AtMs, CheckContext.DisturbsStore))
                continue;
            if (expireAt > 0 && expireAt - value - ttl > context.Options.ExpiryMarginMs && DelayedByFault(context, value, expireAt - value - ttl))
                continue;
            rule.Judge();
            if (expireAt == -1)
                rule.Fail($"user {sample.User} sampled at {sample.AtMs}: key of receive {value} has no expiry (PEXPIRETIME {expireAt})");
            else if (expireAt - value - ttl > context.Options.ExpiryMarginMs)
                rule.Fail($"user {sample.User} sampled at {sample.AtMs}: key of receive {value} expires at {expireAt}, {expireAt - value - ttl} ms from receive + ttl ({value + ttl})");
        }
    }

    /// <summary>
    /// A write issued while a store fault held its commands (a partition, a pause, connections
    /// killed) runs when the store is reached again, and <c>PX</c> counts from then: its key outlives
    /// receive + ttl by up to how long the command was held, i.e. until the fault's end (plus TCP's
    /// retransmission backoff, within FaultGraceMs). Store faults that follow each other within
    /// FaultGraceMs hold a command as one (a retry issued after the first meets the second), so they
    /// are taken as one spell (the fourth 30-minute run: a key 13.7 s late across a pause and the
    /// partition right after it). A partition holds a command longer than itself: TCP retransmits with
    /// a doubling timeout, so the command lands at its first retransmission after the link is back, up
    /// to twice the time held plus a second (the sixth run: 13.2 s late after a 9.1 s partition). So a key whose receive lies in [start − ttl, end] of such
    /// a fault (it could have been issued during it) may be late by up to end − max(start, receive) +
    /// FaultGraceMs + ExpiryMarginMs. (PXAT would make such keys exact on Redis, at the price of
    /// trusting the ingester's and the store's clocks to agree; Garnet refuses PXAT. docs/FAULTS.md.)
    /// </summary>
    private static bool DelayedByFault(CheckContext context, long receive, long lateMs)
    {
        foreach (var (start, end, partitioned) in context.StoreFaultSpells())
        {
            if (receive > end || receive + context.TtlMs < start)
                continue;
            long held = end - Math.Max(start, receive);
            // Across a partition TCP retransmits with a doubling timeout (RFC 6298; Linux from 200 ms): the
            // first retransmission after the link is back comes up to as long again after the send, and a
            // second later at most.
            if (partitioned)
                held = (2 * held) + TcpRetransmitMs;
            if (lateMs <= held + context.Options.FaultGraceMs + context.Options.ExpiryMarginMs)
                return true;
        }
        return false;
    }

    /// <summary>
    /// timeout-at (per timeout line of the truth): with r = at − ttl, (a) no value sampled of the user in the
    /// online period before the line (samples at or after its online line's <c>at</c>, before this
    /// <c>at</c> − SampleSlackMs, of a value before this <c>at</c>) exceeds r by more than IngesterRaceMs; (b) a heartbeat
    /// of the user, not dropped, was sent at some s with r − LagBoundMs ≤ s ≤ r + ClockSkewMs (r is a receive time).
    /// Not judged when [r − LagBoundMs, at] overlaps [start, end + FaultGraceMs] of any fault but a
    /// SenderDrop: a store fault can lapse a key early (offline at the refresh's time), and an ingester
    /// starting sweeps with <c>at</c> = when it found the key gone.
    /// </summary>
    public static void TimeoutAt(CheckContext context, RuleTally rule)
    {
        long ttl = context.TtlMs;
        long lag = context.Options.LagBoundMs;
        var samples = context.History.Samples.Where(s => s.ValueMs is not null)
            .GroupBy(s => s.User).ToDictionary(g => g.Key, g => g.OrderBy(s => s.AtMs).ToArray());
        var sent = HeartbeatTimes(context.History, HeartbeatKind.Heartbeat);
        foreach (var line in context.Truth.All)
        {
            if (line.Online || line.Reason != "timeout")
                continue;
            long receive = line.At - ttl;
            if (context.OverlapsWindow(receive - lag, line.At, k => k != FaultKind.SenderDrop))
                continue;
            rule.Judge();
            long periodStart = long.MinValue;
            if (context.Truth.LastOfUser(line.Epoch, line.User, line.Seq - 1) is { Online: true } online)
                periodStart = online.At;
            long latest = long.MinValue;
            StoreSample latestSample = default;
            var ofUser = samples.TryGetValue(line.User, out var sorted) ? sorted : [];
            // A sample read at most SampleSlackMs after its AtMs: one taken just before at may see the next period's write.
            long sampledBefore = line.At - context.Options.SampleSlackMs;
            for (int k = FirstAtOrAfter(ofUser, periodStart); k < ofUser.Length && ofUser[k].AtMs < sampledBefore; k++)
            {
                long value = ofUser[k].ValueMs!.Value;
                if (value < line.At && value > latest)
                {
                    latest = value;
                    latestSample = ofUser[k];
                }
            }
            if (latest > receive + context.Options.IngesterRaceMs)
            {
                rule.Fail($"{line.Describe()}: at − ttl = {receive}, but the store held receive {latest} of user {line.User} at {latestSample.AtMs}");
                continue;
            }
            var times = sent.TryGetValue(line.User, out var list) ? list : [];
            int i = LastAtOrBefore(times, receive + context.Options.ClockSkewMs);
            if (i < 0 || receive - times[i] > lag)
                rule.Fail($"{line.Describe()}: at − ttl = {receive} is no receive time: the user's last heartbeat sent by then was {(i < 0 ? "none" : times[i].ToString())}");
        }
    }

    /// <summary>
    /// heartbeat-lost (per store sample; heartbeats judged are counted): for a sample of user u at t, take s,
    /// u's latest heartbeat (not dropped, kind Heartbeat) sent at or before t − LagBoundMs. Not judged when
    /// there is none; when s lies in [start − LagBoundMs, end + FaultGraceMs] of a fault other than Term and
    /// SenderDrop (Term excuses nothing: none lost across planned restarts; a SenderDrop's dropped datagrams
    /// are never s); when a sign-out (not dropped) of u was sent in [s − LagBoundMs, t + SampleSlackMs]; when a
    /// store restart (with or without data) began in [s, t + SampleSlackMs] (the sample's read may come that late). Otherwise the sample must show a key with value ≥ s — except
    /// that a missing key is fine when s + ttl ≤ t + SampleSlackMs (it may have expired) or when t lies in
    /// a store-disturbing fault's window, or within SampleSlackMs before one begins (the sample's own read
    /// may have been held up past that: the 30-minute run of 2026-12-06 sampled 8 ms before a pause, and the
    /// store, stopped before it ran the read, answered it after the key's expiry, 1.9 s later). A value
    /// may read up to ClockSkewMs before s. A heartbeat that would be lost but was sent while an ingester's
    /// kernel counted receive-buffer drops (<see cref="CheckContext.KernelDropWindows"/>) is not judged, and counted
    /// as excused: a counted drop of a lossy channel, not a silent loss.
    /// </summary>
    public static (long Judged, long ExcusedByKernelDrops) HeartbeatLost(CheckContext context, RuleTally rule)
    {
        long ttl = context.TtlMs;
        var options = context.Options;
        var sent = HeartbeatTimes(context.History, HeartbeatKind.Heartbeat);
        var signOuts = HeartbeatTimes(context.History, HeartbeatKind.SignOut);
        var restarts = context.History.Faults.Where(f => f.Kind is FaultKind.StoreRestartEmpty or FaultKind.StoreRestartWithData).ToList();
        var judged = new HashSet<(ulong, long)>();
        var excused = new HashSet<(ulong, long)>();
        var kernelDrops = context.KernelDropWindows();
        foreach (var sample in context.History.Samples)
        {
            if (!sent.TryGetValue(sample.User, out var times))
                continue;
            int i = LastAtOrBefore(times, sample.AtMs - options.LagBoundMs);
            if (i < 0)
                continue;
            long s = times[i];
            if (context.InWindow(s, k => k is not (FaultKind.Term or FaultKind.SenderDrop), beforeMs: options.LagBoundMs))
                continue;
            if (signOuts.TryGetValue(sample.User, out var outs) && LastAtOrBefore(outs, sample.AtMs + options.SampleSlackMs) is var o && o >= 0 && outs[o] >= s - options.LagBoundMs)
                continue;
            if (restarts.Any(f => f.StartMs >= s && f.StartMs <= sample.AtMs + options.SampleSlackMs))
                continue;
            string? lost = null;
            if (sample.ValueMs is { } value)
            {
                if (value < s - options.ClockSkewMs)
                    lost = $"user {sample.User}: heartbeat sent at {s}, but the store held receive {value} at {sample.AtMs}";
            }
            else if (s + ttl > sample.AtMs + options.SampleSlackMs && !context.InWindow(sample.AtMs, CheckContext.DisturbsStore, beforeMs: options.SampleSlackMs))
            {
                lost = $"user {sample.User}: heartbeat sent at {s}, but the store had no key at {sample.AtMs} ({sample.AtMs - s} ms later, ttl {ttl})";
            }
            if (lost is not null && kernelDrops.Any(w => s >= w.FromMs && s <= w.ToMs))
            {
                // Dropped by the kernel (an ingester's full receive buffer), and counted there: not judged.
                excused.Add((sample.User, s));
                continue;
            }
            rule.Judge();
            judged.Add((sample.User, s));
            if (lost is not null)
                rule.Fail(lost);
        }
        return (judged.Count, excused.Count);
    }

    private static Dictionary<ulong, long[]> HeartbeatTimes(RunHistory history, HeartbeatKind kind) =>
        history.Heartbeats
            .Where(h => h.Kind == kind && !h.Dropped)
            .GroupBy(h => h.User)
            .ToDictionary(g => g.Key, g => g.Select(h => h.SentMs).Order().ToArray());

    // The index of the first sample at or after t in samples sorted by time.
    private static int FirstAtOrAfter(StoreSample[] samples, long t)
    {
        int lo = 0, hi = samples.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (samples[mid].AtMs < t)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    // The index of the last time ≤ limit in sorted times, or -1.
    private static int LastAtOrBefore(long[] times, long limit)
    {
        int lo = 0, hi = times.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (times[mid] <= limit)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo - 1;
    }
}
