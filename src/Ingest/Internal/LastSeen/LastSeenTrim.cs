using Presence.Core.LastSeen;
using Presence.Hosting;
using Presence.Ingest.Internal.Infrastructure;
using StackExchange.Redis;

namespace Presence.Ingest.Internal.LastSeen;

/// <summary>
/// Forgets last seen times older than <c>--last-seen-days</c> without a pass over every user on the hot
/// path: one bucket (<see cref="LastSeenScripts.Trim"/>) every <see cref="Every"/>, round-robin from a random
/// bucket, so every bucket is trimmed within the hour whatever the number of users (16,384 buckets in
/// 3,600 s). Answers never show an older value anyway (presence-query applies the same cutoff); this is
/// what bounds memory. With 0 days the cutoff is now: what an earlier run kept is forgotten within the
/// hour. Several ingesters trimming at once do the same work twice, harmlessly. A failed call is skipped;
/// the bucket comes round again within the hour.
/// </summary>
internal sealed class LastSeenTrim(IDatabase database, string prefix, int retentionDays, IngestClock clock, IngestMetrics metrics)
{
    /// <summary>One bucket this often: all of them within an hour.</summary>
    public static readonly TimeSpan Every = TimeSpan.FromMilliseconds(3_600_000.0 / LastSeenKeys.Buckets);

    private readonly LastSeenKeys _keys = new(prefix);
    private int _next = Random.Shared.Next(LastSeenKeys.Buckets);

    /// <summary>How long a call is waited for (<see cref="AnswerBound"/>).</summary>
    public TimeSpan AnswerWithin { get; init; } = AnswerBound.Default;

    public async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Every, clock.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
                await TrimAsync(_next++ % LastSeenKeys.Buckets, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Trims one bucket; returns how many it forgot, or null when the call failed.</summary>
    public async Task<long?> TrimAsync(int bucket, CancellationToken stop)
    {
        long cutoffSeconds = retentionDays == 0 ? LastSeenTime.ToStoredSeconds(clock.NowMs) + 1 : LastSeenTime.ToStoredSeconds(LastSeenTime.CutoffMs(clock.NowMs, retentionDays));
        try
        {
            var result = await database.ScriptEvaluateAsync(LastSeenScripts.Trim, [(RedisKey)_keys.BucketKey(bucket)], [cutoffSeconds])
                .WaitAsync(AnswerWithin, stop).ConfigureAwait(false);
            long forgotten = (long)result;
            metrics.LastSeenForgotten.Inc(forgotten);
            return forgotten;
        }
        catch (Exception e) when (StoreClientFailure.Is(e, stop))
        {
            return null;
        }
    }
}
