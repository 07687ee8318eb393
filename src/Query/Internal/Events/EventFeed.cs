using Presence.Core;
using Presence.Core.Events;
using StackExchange.Redis;

namespace Presence.Query.Internal.Events;

/// <summary>
/// The node's one reader of the store's events log: it follows the log (woken by the ingesters'
/// wake messages, and on a timer in case one is missed), keeps its latest lines in a ring, and
/// hands each line to the subscribers watching its user. Streams register here with the position
/// they start after (a snapshot's, or a <c>Last-Event-ID</c>'s) and get the lines after it from
/// the ring, then live ones, in order, without a gap or a repeat.
/// </summary>
/// <remarks>
/// When the log is replaced (a new epoch: the store lost its data) or the node fell behind past
/// what the store still holds, the ring restarts at the log's end and every subscriber is told to
/// take a new snapshot: never a silent gap. While the store is away the feed retries with a capped
/// backoff and the streams stay open (keepalives); when it is back they continue where they were.
/// </remarks>
internal sealed class EventFeed : IAsyncDisposable
{
    /// <summary>Lines read per store call.</summary>
    public const int PageSize = 2_000;

    private readonly EventLogStore _log;
    private readonly QueryMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeSpan _pollInterval;
    private readonly Lock _lock = new();
    private readonly EventLogCursor _cursor;
    private readonly Action<EventLogLine> _dispatch;
    private readonly Dictionary<ulong, object> _watchers = new(); // user id → Subscriber, or List<Subscriber> when several
    private readonly HashSet<Subscriber> _all = [];
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public EventFeed(EventLogStore log, int ringCapacity, TimeSpan pollInterval, QueryMetrics metrics, ILogger logger)
    {
        _log = log;
        _cursor = new EventLogCursor(ringCapacity);
        _dispatch = Dispatch;
        _pollInterval = pollInterval;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Open streams registered here.</summary>
    public int Subscribers
    {
        get
        {
            lock (_lock)
                return _all.Count;
        }
    }

    /// <summary>The last log line read (for tests and metrics).</summary>
    public long Position
    {
        get
        {
            lock (_lock)
                return _cursor.Position;
        }
    }

    /// <summary>
    /// Starts following the log, once: at the first subscription, so a node nobody subscribes to
    /// does no events work at all. Once started it keeps following (its ring serves resumes).
    /// </summary>
    public void EnsureStarted()
    {
        if (Volatile.Read(ref _loop) is not null)
            return;
        lock (_lock)
            _loop ??= Task.Run(RunAsync);
    }

    /// <summary>Completes once the feed has read the log (so it knows its epoch); false after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout)
    {
        if (_ready.Task.IsCompleted)
            return true;
        return await Task.WhenAny(_ready.Task, Task.Delay(timeout)).ConfigureAwait(false) == _ready.Task;
    }

    /// <summary>Asks the feed to read the log now.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
        }
    }

    /// <summary>
    /// Registers <paramref name="subscriber"/> to get the lines after <paramref name="afterSeq"/> of
    /// the log named <paramref name="epoch"/>: those the ring holds go into <paramref name="catchUp"/>,
    /// later ones to its queue as the feed reads them. <paramref name="storeLast"/> is the log's last
    /// sequence number as the caller read it from the store (0 when it has none). Registers nothing
    /// unless the answer is <see cref="ResumeFrom.Ring"/> or <see cref="ResumeFrom.Ahead"/>: another
    /// epoch, a position older than the ring, or one past the log's end as far as this feed and
    /// <paramref name="storeLast"/> know, is never taken for a position (the stream takes a snapshot).
    /// </summary>
    public ResumeFrom TryRegister(Subscriber subscriber, string epoch, long afterSeq, long storeLast, List<EventLogLine> catchUp)
    {
        lock (_lock)
        {
            var from = _cursor.Locate(epoch, afterSeq, storeLast);
            switch (from)
            {
                case ResumeFrom.Ring:
                    _cursor.Ring.Collect(afterSeq, subscriber.Ids, catchUp);
                    subscriber.LiveAfter = _cursor.Ring.LastSeq;
                    break;
                case ResumeFrom.Ahead:
                    // A position the store has and this feed has not read yet: skip up to there when it arrives.
                    subscriber.LiveAfter = afterSeq;
                    break;
                default:
                    return from;
            }
            foreach (var id in subscriber.Ids)
                Watch(id, subscriber);
            _all.Add(subscriber);
            return from;
        }
    }

    public void Unregister(Subscriber subscriber)
    {
        lock (_lock)
        {
            if (!_all.Remove(subscriber))
                return;
            foreach (var id in subscriber.Ids)
                Unwatch(id, subscriber);
        }
    }

    /// <summary>The epoch this feed follows, or null before its first read.</summary>
    public string? Epoch
    {
        get
        {
            lock (_lock)
                return _cursor.Epoch;
        }
    }

    private void Watch(ulong id, Subscriber subscriber)
    {
        if (!_watchers.TryGetValue(id, out var existing))
            _watchers[id] = subscriber;
        else if (existing is List<Subscriber> list)
            list.Add(subscriber);
        else
            _watchers[id] = new List<Subscriber>(2) { (Subscriber)existing, subscriber };
    }

    private void Unwatch(ulong id, Subscriber subscriber)
    {
        if (!_watchers.TryGetValue(id, out var existing))
            return;
        if (existing == subscriber)
        {
            _watchers.Remove(id);
        }
        else if (existing is List<Subscriber> list && list.Remove(subscriber))
        {
            if (list.Count == 1)
                _watchers[id] = list[0];
        }
    }

    private async Task RunAsync()
    {
        var stop = _stop.Token;
        var backoff = new Backoff(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        bool subscribed = false;
        bool failing = false;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (!subscribed)
                {
                    await _log.SubscribeAsync(Wake).ConfigureAwait(false);
                    subscribed = true;
                }
                await ReadToEndAsync().ConfigureAwait(false);
                _ready.TrySetResult();
                if (failing)
                {
                    failing = false;
                    QueryLog.EventFeedBack(_logger, Position);
                }
                backoff.Succeed();
                await _wake.WaitAsync(_pollInterval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                // Any failure, not only the store's own exception types: the feed is every stream's
                // source, and a loop that died here left every stream of the node silent for good.
                _metrics.EventFeedErrors.Inc();
                if (!failing)
                {
                    failing = true;
                    QueryLog.EventFeedFailing(_logger, e is RedisException or TimeoutException ? e.Message : $"{e.GetType().Name}: {e.Message}");
                }
                try
                {
                    await Task.Delay(backoff.Fail(), stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        if (subscribed)
        {
            try
            {
                await _log.UnsubscribeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Reads and hands out lines until the feed is at the log's end.</summary>
    internal async Task ReadToEndAsync()
    {
        while (true)
        {
            long after;
            lock (_lock)
                after = _cursor.Position;
            var read = await _log.ReadAsync(after, PageSize).ConfigureAwait(false);
            lock (_lock)
            {
                string? epoch = _cursor.Epoch;
                var step = _cursor.Apply(read, _dispatch);
                _metrics.EventFeedPosition.Set(_cursor.Position);
                switch (step)
                {
                    case FeedStep.Started:
                        continue;
                    case FeedStep.Restarted:
                        // A new epoch, or the feed fell behind past what the store holds: never a silent gap.
                        QueryLog.EventLogReplaced(_logger, epoch!, read.Epoch, after, read.FirstSeq, read.LastSeq, _all.Count);
                        _metrics.EventResyncs.Inc();
                        foreach (var subscriber in _all)
                            subscriber.RequestResync();
                        continue;
                    case FeedStep.AtEnd:
                        return;
                }
            }
        }
    }

    private void Dispatch(EventLogLine entry)
    {
        if (!_watchers.TryGetValue(entry.UserId, out var watchers))
            return;
        if (watchers is Subscriber one)
        {
            one.Offer(entry);
            return;
        }
        foreach (var subscriber in (List<Subscriber>)watchers)
            subscriber.Offer(entry);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        Task? loop;
        lock (_lock)
            loop = _loop;
        if (loop is not null)
            await loop.ConfigureAwait(false);
        _stop.Dispose();
        _wake.Dispose();
    }
}
