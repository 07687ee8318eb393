using System.Globalization;
using System.Net;
using System.Text.Json;
using Presence.Client;
using Presence.Core;
using Presence.LoadGen.Internal;

namespace Presence.LoadGen;

/// <summary>
/// One run of the load generator: sends on a dedicated thread while this one reports progress,
/// then signs users off and verifies when asked, and prints the summary.
/// </summary>
internal sealed class LoadRunner
{
    /// <summary>
    /// A user is expected online only while its heartbeat is this much younger than the TTL: the
    /// answer's own time in flight, and the clock's resolution.
    /// </summary>
    private const long ExpiryGuardMs = 1000;

    private readonly LoadGenOptions _options;
    private readonly MasterKeyRing? _keys;
    private readonly byte _keyId;
    private readonly TextWriter _stdout;
    private readonly TextWriter _stderr;
    private readonly bool _terminal;

    /// <param name="options">Validated options (<see cref="LoadGenOptions.Validate"/>).</param>
    /// <param name="keys">The master keys to sign with, or null for unsigned frames.</param>
    /// <param name="terminal">Whether stderr is a terminal (progress rewritten in place) or a log.</param>
    public LoadRunner(LoadGenOptions options, MasterKeyRing? keys, byte keyId, TextWriter stdout, TextWriter stderr, bool terminal)
    {
        _options = options;
        _keys = keys;
        _keyId = keyId;
        _stdout = stdout;
        _stderr = stderr;
        _terminal = terminal;
    }

    /// <summary>Exit code: 0 done (and verified), 1 verification failed or could not be done.</summary>
    /// <param name="stop">Stops sending (SIGINT/SIGTERM); the summary and verification still follow.</param>
    public async Task<int> RunAsync(CancellationToken stop)
    {
        var o = _options;
        LoadGenOptions.TryParseTarget(o.Target, out var target);
        var churn = o.Churn > 0 ? new ChurnPlan(o.Users, o.Churn, o.ChurnActive, o.ChurnSilent, o.ChurnSignOut) : null;
        var schedule = new HeartbeatSchedule(o.FirstId, o.Users, o.Interval, o.Seed, churn);
        double slotsPerSecond = o.Rate is { } cap
            ? Math.Min(schedule.SlotsPerSecond, cap * o.PerFrame / (1 + o.Dup))
            : schedule.SlotsPerSecond;
        var builder = new FrameBuilder(schedule, o.PerFrame, o.Dup, FrameBuilder.DupWindowFor(slotsPerSecond), _keys, _keyId, o.Seed);
        var batch = new FrameBatch(o.Batch);
        using var sender = CreateSender(o.Sender, target, batch);
        var counters = new LoadCounters();
        var clock = new SlotClock(TimeSpan.FromSeconds(o.Ttl));
        var lastSent = o.LastSent is null ? null : new LastSendLog(o.FirstId, o.Users);
        var loop = new SendLoop(schedule, builder, batch, sender, counters, clock, lastSent);

        var limiter = o.Rate is { } rate ? new RateLimiter(rate, RateLimiter.BurstFor(rate)) : null;
        double signOffRate = o.Rate ?? o.ImpliedRate;
        var offlineLimiter = double.IsFinite(signOffRate) ? new RateLimiter(signOffRate, RateLimiter.BurstFor(signOffRate)) : null;

        var progress = new ProgressReporter(_stderr, _terminal, counters, o.Users);
        var sending = Task.Factory.StartNew(
            () => loop.Run(o.Duration, limiter, o.OfflineAtEnd, offlineLimiter, stop),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        while (await Task.WhenAny(sending, Task.Delay(progress.Period, CancellationToken.None)) != sending)
            progress.Report();
        progress.Report();
        progress.Finish();
        await sending; // a send fault (not a transient error) surfaces here

        string? lastSentError = null;
        if (lastSent is not null)
        {
            try
            {
                lastSent.WriteTo(o.LastSent!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                lastSentError = e.Message;
            }
        }

        VerifySummary? verify = null;
        string? verifyError = null;
        if (o.Verify is not null)
        {
            try
            {
                verify = await VerifyAsync(schedule, builder, clock);
            }
            catch (VerifyException e)
            {
                verifyError = e.Message;
            }
        }

        double elapsed = loop.HeartbeatSeconds;
        var summary = new LoadSummary(
            Target: target.ToString(),
            Sender: sender.Name,
            Signed: builder.IsSigned,
            Users: o.Users,
            FirstId: o.FirstId.ToString(CultureInfo.InvariantCulture),
            IntervalSeconds: o.Interval,
            PerFrame: o.PerFrame,
            RateCap: o.Rate,
            FramesSent: counters.Frames,
            RecordsSent: counters.Records,
            DuplicateRecords: builder.DuplicatesBuilt,
            OfflineRecords: counters.OfflineRecords,
            UsersCovered: builder.UsersCovered,
            Errors: counters.Errors,
            ElapsedSeconds: Math.Round(elapsed, 3),
            FramesPerSecond: Math.Round(counters.Frames / Math.Max(elapsed, 1e-9), 1),
            RecordsPerSecond: Math.Round(counters.Records / Math.Max(elapsed, 1e-9), 1),
            Churn: churn is null ? null : new ChurnSummary(
                Users: churn.Churning,
                SigningOut: churn.SigningOut,
                ActiveSeconds: churn.ActiveSeconds,
                SilentSeconds: churn.SilentSeconds,
                SignOutRecords: builder.SignOutsBuilt,
                SilentSlots: builder.SilentSlots),
            Verify: verify);
        if (o.Json)
            _stdout.WriteLine(JsonSerializer.Serialize(summary, LoadGenJsonContext.Default.LoadSummary));
        else
            WriteText(summary);

        if (lastSentError is not null)
        {
            _stderr.WriteLine($"presence-loadgen: --last-sent: {lastSentError}");
            return 1;
        }
        if (verifyError is not null)
        {
            _stderr.WriteLine($"presence-loadgen: verify: {verifyError}");
            return 1;
        }
        if (verify is { Ok: false })
        {
            _stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"presence-loadgen: verify: {verify.Missing:N0} of {verify.Expected:N0} users are not {verify.Expect} (first: {string.Join(", ", verify.MissingIds)})"));
            return 1;
        }
        return 0;
    }

    private static IFrameSender CreateSender(SenderKind kind, IPEndPoint target, FrameBatch batch) => kind switch
    {
        SenderKind.Sendmmsg => new MmsgFrameSender(target, batch),
        _ => new SocketFrameSender(target),
    };

    private async Task<VerifySummary> VerifyAsync(HeartbeatSchedule schedule, FrameBuilder builder, SlotClock clock)
    {
        var o = _options;
        LoadGenOptions.TryParseVerifyUrl(o.Verify!, out var url);
        // Straight to the service named: a proxy inherited from the environment has no business
        // between a load test and the service it checks.
        using var client = new PresenceClient(url, new PresenceClientOptions { Timeout = TimeSpan.FromSeconds(10), UseProxy = false });
        var verifier = new Verifier(client, o.VerifyBatch, TimeSpan.FromSeconds(o.VerifyWait));
        var expectations = o.OfflineAtEnd
            ? SignedOff(schedule, builder)
            : RecentlySent(schedule, builder.SlotsBuilt, clock, (long)(o.Ttl * 1000), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return await verifier.RunAsync(expectations, expectOnline: !o.OfflineAtEnd, CancellationToken.None);
    }

    /// <summary>
    /// The users whose latest scheduled heartbeat is younger than the TTL (less a guard), oldest
    /// first, each expected online until its TTL (less the guard) runs out. Derived from the slot
    /// counter and the clock's checkpoints: the last <c>users</c> slots are distinct users, and a
    /// slot's checkpoint time is never later than its real send time, so no user is expected
    /// online longer than it should be.
    /// </summary>
    internal static IEnumerable<Expectation> RecentlySent(HeartbeatSchedule schedule, long slotsBuilt, SlotClock clock, long ttlMs, long nowMs)
    {
        long from = Math.Max(0, slotsBuilt - schedule.Users);
        long cutoff = nowMs - ttlMs + ExpiryGuardMs;
        // Send times ascend with the slot: binary search for the first slot young enough.
        long lo = from, hi = slotsBuilt;
        while (lo < hi)
        {
            long mid = lo + (hi - lo) / 2;
            if ((clock.SentNotBefore(mid) ?? long.MinValue) >= cutoff)
                hi = mid;
            else
                lo = mid + 1;
        }
        for (long slot = lo; slot < slotsBuilt; slot++)
        {
            // A churning user silent (or signed off) at its latest slot is not asked about: fewer users, never a wrong one.
            int index = schedule.IndexAt(slot);
            if (schedule.ActionAt(slot, index) == SlotAction.Heartbeat)
                yield return new Expectation(schedule.UserOfIndex(index), clock.SentNotBefore(slot)!.Value + ttlMs - ExpiryGuardMs);
        }
    }

    /// <summary>Every user covered, expected offline for good (<c>--offline-at-end</c>).</summary>
    internal static IEnumerable<Expectation> SignedOff(HeartbeatSchedule schedule, FrameBuilder builder)
    {
        for (long slot = 0; slot < builder.SlotsCovered; slot++)
            yield return new Expectation(schedule.UserAt(slot), long.MaxValue);
    }

    private void WriteText(LoadSummary s)
    {
        var c = CultureInfo.InvariantCulture;
        _stdout.WriteLine(string.Create(c,
            $"sent {s.FramesSent:N0} frames, {s.RecordsSent:N0} records ({s.DuplicateRecords:N0} duplicates{(s.Signed ? ", signed" : "")}) to {s.Target} in {s.ElapsedSeconds:0.0} s: {s.FramesPerSecond:N0} frames/s, {s.RecordsPerSecond:N0} records/s"));
        _stdout.WriteLine(string.Create(c,
            $"users covered {s.UsersCovered:N0}/{s.Users:N0}, errors {s.Errors:N0}{(s.OfflineRecords > 0 ? $", signed off {s.OfflineRecords:N0}" : "")}, sender {s.Sender}"));
        if (s.Churn is { } churn)
        {
            _stdout.WriteLine(string.Create(c,
                $"churn: {churn.Users:N0} users ({churn.SigningOut:N0} signing out), {churn.ActiveSeconds:0.#} s active / {churn.SilentSeconds:0.#} s silent; {churn.SignOutRecords:N0} sign-outs sent, {churn.SilentSlots:N0} silent slots"));
        }
        if (s.Verify is { } v)
        {
            long inState = v.Expect == "online" ? v.Online : v.Expected - v.Online;
            _stdout.WriteLine(string.Create(c,
                $"verify: {inState:N0}/{v.Expected:N0} {v.Expect}{(v.Expired > 0 ? $" ({v.Expired:N0} expired before checked)" : "")}{(v.Ok ? "" : $"; missing (first {v.MissingIds.Count}): {string.Join(" ", v.MissingIds)}")}"));
        }
    }
}
