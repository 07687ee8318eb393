using System.Threading.Channels;
using Presence.Core;
using Presence.Core.Events;
using Presence.Core.LastSeen;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Transitions;
using StackExchange.Redis;

namespace Presence.Ingest.Internal.LastSeen;

/// <summary>
/// Writes an offline user's last seen (docs/HTTP-API.md, "Last seen"): one <see cref="LastSeenScripts.Write"/>
/// call per offline transition the events log took, on the user's bucket (<see cref="LastSeenKeys"/>), never
/// per heartbeat. The last seen is the receive time of the user's last heartbeat (a timeout's <c>at</c> − ttl)
/// or of its sign-out, in whole seconds; the script keeps the later of the stored and the given value, so
/// ingesters may write one user in any order. Its own bounded queue and loop: a bucket's node away holds up
/// last seen writes, not the events log. A batch goes out pipelined (one script call a user, each to its
/// bucket's node); the calls that fail are sent again after a capped backoff. A full queue drops (counted).
/// </summary>
internal sealed class LastSeenWriter
{
    /// <summary>Users waiting at most: at ~16 bytes each, 16 MB.</summary>
    public const int Capacity = 1_000_000;

    /// <summary>Script calls a batch sends at most.</summary>
    public const int BatchSize = 1_000;

    private readonly Channel<(ulong User, long Seconds)> _queue;
    private readonly IDatabase _database;
    private readonly LastSeenKeys _keys;
    private readonly long _ttlMs;
    private readonly RedisValue _bucketLifetimeSeconds;
    private readonly IngestClock _clock;
    private readonly IngestMetrics _metrics;
    private readonly ILogger _logger;
    private Backoff _backoff = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));

    public LastSeenWriter(IDatabase database, string prefix, int retentionDays, long ttlMs, IngestClock clock, IngestMetrics metrics, ILogger logger, int capacity = Capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retentionDays, 1);
        _queue = Channel.CreateBounded<(ulong, long)>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true, // the events log's append loop
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails, and the write is counted dropped
        });
        _database = database;
        _keys = new LastSeenKeys(prefix);
        _ttlMs = ttlMs;
        _bucketLifetimeSeconds = BucketLifetimeSeconds(retentionDays);
        _clock = clock;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>How long the store keeps a bucket after its latest write: the retention and an hour.</summary>
    public static long BucketLifetimeSeconds(int retentionDays) => (retentionDays * 86_400L) + 3_600;

    /// <summary>How long a batch is waited for before its unanswered calls count as failed and are sent again (<see cref="AnswerBound"/>).</summary>
    public TimeSpan AnswerWithin { get; init; } = AnswerBound.Default;

    /// <summary>Users waiting to be written.</summary>
    public int Queued => _queue.Reader.Count;

    /// <summary>
    /// The last seen, in stored seconds, an offline transition appended at <paramref name="appendedAtMs"/> gives; null for an
    /// online. A timeout a start-up sweep found carries the online's time, not its own: the key was gone by the append.
    /// </summary>
    public static long? LastSeenOf(PresenceTransition transition, long ttlMs, long appendedAtMs) => transition.Kind switch
    {
        TransitionKind.Timeout when transition.Possible => LastSeenTime.ToStoredSeconds(appendedAtMs - ttlMs),
        TransitionKind.Timeout => LastSeenTime.ToStoredSeconds(transition.AtMs - ttlMs),
        TransitionKind.Signout => LastSeenTime.ToStoredSeconds(transition.AtMs),
        _ => null,
    };

    /// <summary>Queues the last seen of each offline in <paramref name="appended"/> (transitions the events log took at <paramref name="appendedAtMs"/>).</summary>
    public void Offer(IReadOnlyList<PresenceTransition> appended, long appendedAtMs)
    {
        foreach (var transition in appended)
        {
            if (LastSeenOf(transition, _ttlMs, appendedAtMs) is { } seconds && !_queue.Writer.TryWrite((transition.UserId, seconds)))
                _metrics.LastSeenWrites.WithLabels("dropped").Inc();
        }
    }

    /// <summary>No more offers: <see cref="RunAsync"/> returns once the queue is written.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Writes until <see cref="Complete"/> was called and the queue is empty, or <paramref name="stop"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var batch = new List<(ulong User, long Seconds)>(BatchSize);
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stop).ConfigureAwait(false))
            {
                while (batch.Count < BatchSize && reader.TryRead(out var entry))
                    batch.Add(entry);
                await WriteAsync(batch, stop).ConfigureAwait(false);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            long left = batch.Count + reader.Count;
            if (left > 0)
                IngestLog.LastSeenUnwritten(_logger, left);
        }
    }

    private async Task WriteAsync(List<(ulong User, long Seconds)> batch, CancellationToken stop)
    {
        while (batch.Count > 0)
        {
            var calls = new Task<RedisResult>?[batch.Count];
            string reason = "";
            try
            {
                var redisBatch = _database.CreateBatch();
                for (int i = 0; i < batch.Count; i++)
                {
                    var (user, seconds) = batch[i];
                    calls[i] = redisBatch.ScriptEvaluateAsync(LastSeenScripts.Write, [(RedisKey)_keys.KeyOf(user)],
                        [LastSeenKeys.Field(user), seconds, _bucketLifetimeSeconds]);
                }
                // Throws when no connection is available ("No connection is active/available to service this
                // operation"): outside this try it ended the loop for good, and the ingester's stop with an
                // unhandled exception (the 30-minute fault run 20, FAULTS.md).
                redisBatch.Execute();
                await Task.WhenAll(calls!).WaitAsync(AnswerWithin, stop).ConfigureAwait(false);
            }
            // Any failure but the stop's (as the events appender: the store client throws more than RedisException).
            catch (Exception e) when (!(e is OperationCanceledException && stop.IsCancellationRequested))
            {
                reason = e.Message; // some failed or went unanswered (or none was sent): those are sent again below
            }
            var failed = new List<(ulong, long)>();
            long written = 0, kept = 0;
            for (int i = 0; i < calls.Length; i++)
            {
                if (calls[i] is { IsCompletedSuccessfully: true } call)
                {
                    if ((long)call.Result == 1)
                        written++;
                    else
                        kept++;
                }
                else
                {
                    failed.Add(batch[i]);
                    _ = calls[i]?.ContinueWith(static t => t.Exception, TaskScheduler.Default); // observed, also when it ends later
                }
            }
            _metrics.LastSeenWrites.WithLabels("written").Inc(written);
            _metrics.LastSeenWrites.WithLabels("kept").Inc(kept);
            if (failed.Count == 0)
            {
                if (_backoff.Failures > 0)
                    IngestLog.LastSeenRecovered(_logger, _backoff.Failures);
                _backoff.Succeed();
                return;
            }
            _metrics.LastSeenWrites.WithLabels("failed").Inc(failed.Count);
            var delay = _backoff.Fail();
            if (_backoff.Failures == 1 || _backoff.Failures % 20 == 0)
                IngestLog.LastSeenWriteFailed(_logger, failed.Count, _queue.Reader.Count, delay.TotalMilliseconds, reason);
            batch.Clear();
            batch.AddRange(failed);
            await Task.Delay(delay, _clock.Time, stop).ConfigureAwait(false);
        }
    }
}
