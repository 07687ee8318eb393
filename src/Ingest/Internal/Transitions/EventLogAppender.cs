using System.Globalization;
using Presence.Core;
using System.Threading.Channels;
using Presence.Core.Events;
using StackExchange.Redis;

namespace Presence.Ingest.Internal;

/// <summary>
/// Appends transitions to the store's events log (<see cref="EventLogScripts.Append"/>), in the
/// order they were seen, up to <see cref="BatchSize"/> a script call, one call in flight; a failed
/// call is retried with a capped backoff, so nothing is reordered or lost while the store is away
/// for a while. After each append a message on the log's wake channel tells the query nodes to
/// read. The queue is bounded (<see cref="Capacity"/>); a transition that finds it full is dropped
/// and counted: that user's lines are missing from the log until its next transition (EVENTS.md, "Limits").
/// </summary>
internal sealed class EventLogAppender
{
    public const int BatchSize = 1_000;

    /// <summary>Transitions waiting at most: at ~24 bytes each, 24 MB; an hour of 1% churn of 1M users is ~600K.</summary>
    public const int Capacity = 1_000_000;

    private readonly Channel<PresenceTransition> _queue = Channel.CreateBounded<PresenceTransition>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        SingleWriter = true, // the flusher thread
        FullMode = BoundedChannelFullMode.Wait, // TryWrite fails, and the drop is counted
    });

    private readonly IDatabase _database;
    private readonly EventLogKeys _keys;
    private readonly RedisKey[] _scriptKeys;
    private readonly long _retentionMs;
    private readonly IngestClock _clock;
    private readonly IngestMetrics _metrics;
    private readonly ILogger _logger;
    private Backoff _backoff = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));

    public EventLogAppender(IDatabase database, string prefix, TimeSpan retention, IngestClock clock, IngestMetrics metrics, ILogger logger)
    {
        _database = database;
        _keys = new EventLogKeys(prefix);
        _scriptKeys = [_keys.Seq, _keys.Log, _keys.Epoch];
        _retentionMs = (long)retention.TotalMilliseconds;
        _clock = clock;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Transitions waiting to be appended.</summary>
    public int Queued => _queue.Reader.Count;

    /// <summary>Takes the next transition waiting, in order (tests: what a detector queued).</summary>
    internal bool TryTake(out PresenceTransition transition) => _queue.Reader.TryRead(out transition);

    public void Enqueue(PresenceTransition transition)
    {
        _metrics.Transitions(transition.Kind).Inc();
        if (!_queue.Writer.TryWrite(transition))
            _metrics.TransitionsDropped.Inc();
    }

    /// <summary>No more transitions will come: <see cref="RunAsync"/> returns once the queue is written.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Appends until <see cref="Complete"/> was called and the queue is empty, or <paramref name="stop"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var batch = new List<PresenceTransition>(BatchSize);
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stop).ConfigureAwait(false))
            {
                while (batch.Count < BatchSize && reader.TryRead(out var transition))
                    batch.Add(transition);
                await AppendAsync(batch, stop).ConfigureAwait(false);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            long left = batch.Count + reader.Count;
            if (left > 0)
                IngestLog.TransitionsUnwritten(_logger, left);
        }
    }

    private async Task AppendAsync(List<PresenceTransition> batch, CancellationToken stop)
    {
        var args = new RedisValue[3 + 4 * batch.Count];
        args[0] = EventLogKeys.NewEpoch();
        args[1] = _keys.OnlinePrefix;
        int a = 3;
        foreach (var t in batch)
        {
            args[a++] = EventLogLine.KindCode(t.Kind).ToString();
            args[a++] = t.UserId.ToString(CultureInfo.InvariantCulture);
            args[a++] = EventLogKeys.Bucket(t.UserId);
            args[a++] = t.AtMs;
        }
        while (true)
        {
            args[2] = _clock.NowMs - _retentionMs; // lines older than this are trimmed
            try
            {
                var result = (RedisResult[])(await _database.ScriptEvaluateAsync(EventLogScripts.Append, _scriptKeys, args).ConfigureAwait(false))!;
                long last = (long)result[1];
                _metrics.EventLogAppends.WithLabels("ok").Inc();
                _metrics.EventLogLastSeq.Set(last);
                _database.Publish(RedisChannel.Literal(_keys.WakeChannel), last, CommandFlags.FireAndForget);
                if (_backoff.Failures > 0)
                    IngestLog.EventLogRecovered(_logger, _backoff.Failures);
                _backoff.Succeed();
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                _metrics.EventLogAppends.WithLabels("failed").Inc();
                var delay = _backoff.Fail();
                if (_backoff.Failures == 1 || _backoff.Failures % 20 == 0)
                    IngestLog.EventLogAppendFailed(_logger, batch.Count, _queue.Reader.Count, delay.TotalMilliseconds, e.Message);
                await Task.Delay(delay, _clock.Time, stop).ConfigureAwait(false);
            }
        }
    }
}
