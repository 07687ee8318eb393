using System.Diagnostics;

namespace Presence.LoadGen.Internal;

/// <summary>
/// The send thread: asks the schedule what is due, the rate limiter what is allowed, has the
/// builder fill a batch and the sender send it; between batches it sleeps in steps of 1 to 20 ms
/// (never spinning), and every 100 ms notes a <see cref="SlotClock"/> checkpoint.
/// </summary>
internal sealed class SendLoop(
    HeartbeatSchedule schedule,
    FrameBuilder builder,
    FrameBatch batch,
    IFrameSender sender,
    LoadCounters counters,
    SlotClock clock,
    LastSendLog? lastSent = null)
{
    /// <summary>The longest single sleep: how soon a stop or a checkpoint is noticed.</summary>
    private const double MaxSleepSeconds = 0.020;

    /// <summary>Seconds the heartbeat phase took; set when <see cref="Run"/> returns.</summary>
    public double HeartbeatSeconds { get; private set; }

    /// <summary>
    /// Sends heartbeats for <paramref name="durationSeconds"/> (0: until <paramref name="stop"/>),
    /// capped by <paramref name="limiter"/> when given; then, when <paramref name="signOff"/> is
    /// set, one offline record per covered user, paced by <paramref name="offlineLimiter"/>.
    /// </summary>
    public void Run(double durationSeconds, RateLimiter? limiter, bool signOff, RateLimiter? offlineLimiter, CancellationToken stop)
    {
        var watch = Stopwatch.StartNew();
        double nextCheckpoint = 0;
        while (!stop.IsCancellationRequested)
        {
            double now = watch.Elapsed.TotalSeconds;
            if (durationSeconds > 0 && now >= durationSeconds)
                break;
            if (now >= nextCheckpoint)
            {
                clock.Add(builder.SlotsBuilt, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                nextCheckpoint = now + SlotClock.Spacing.TotalSeconds;
            }

            long due = schedule.SlotsDueAt(now);
            long ready = builder.FramesReady(due);
            int frames = (int)Math.Min(ready, batch.Capacity);
            if (frames > 0 && limiter is not null)
                frames = limiter.Take(now, frames);
            int built = 0;
            if (frames > 0)
            {
                batch.Clear();
                built = builder.Build(batch, frames, UnixSeconds(), due);
                if (built > 0)
                    SendHeartbeats();
                if (built < frames)
                    limiter?.Return(frames - built); // silent users' slots left fewer records than the slots due
            }
            if (built == 0)
            {
                // Nothing was due, or every due slot belonged to a silent user: wait for the next frame's slot.
                double wait = ready == 0 || frames > 0
                    ? schedule.DueTime(builder.NextFrameSlot) - now
                    : limiter!.WaitForOne(now);
                if (durationSeconds > 0)
                    wait = Math.Min(wait, durationSeconds - now);
                Sleep(wait);
            }
        }
        // A frame begun but not filled (silent slots) goes out short rather than not at all.
        batch.Clear();
        if (builder.BuildRest(batch))
            SendHeartbeats();
        HeartbeatSeconds = watch.Elapsed.TotalSeconds;

        if (signOff)
            SignOff(offlineLimiter, watch);
    }

    private void SendHeartbeats()
    {
        // Read before the send: a receiver on this clock stamps every record it gets at or after it.
        long sendMs = lastSent is null ? 0 : DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        counters.AddHeartbeats(sender.Send(batch), builder.UsersCovered);
        lastSent?.Note(batch, sendMs);
    }

    /// <summary>
    /// One offline record per covered user, paced by <paramref name="limiter"/> when given. A
    /// burst of offline frames with no pacing could overrun the ingester's socket buffer, so the
    /// runner passes the heartbeat pace whenever there is one.
    /// </summary>
    private void SignOff(RateLimiter? limiter, Stopwatch watch)
    {
        while (builder.OfflineRemaining > 0)
        {
            double now = watch.Elapsed.TotalSeconds;
            int frames = limiter?.Take(now, batch.Capacity) ?? batch.Capacity;
            if (frames == 0)
            {
                Sleep(limiter!.WaitForOne(now));
                continue;
            }
            batch.Clear();
            builder.BuildOffline(batch, frames, UnixSeconds());
            counters.AddOffline(sender.Send(batch));
        }
    }

    private static uint UnixSeconds() => (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>
    /// Sleeps about <paramref name="seconds"/>, at least 1 ms and at most <see cref="MaxSleepSeconds"/>.
    /// A wait below 1 ms also sleeps 1 ms rather than spin: the rate limiter's burst and the
    /// schedule's catch-up make up the oversleep with a larger next batch.
    /// </summary>
    private static void Sleep(double seconds) =>
        Thread.Sleep((int)Math.Ceiling(Math.Clamp(seconds, 0.001, MaxSleepSeconds) * 1000));
}
