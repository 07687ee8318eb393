using Presence.Core.Events;

namespace Presence.Query.Internal.Events;

/// <summary>
/// The node's place in the store's events log, shared by the one reader of the log
/// (<see cref="EventLogFollower"/>) and the streams: it keeps the log's latest lines in a ring,
/// hands each line read to the subscribers watching its user (<see cref="SubscriberFanout"/>), and
/// registers streams at the position they start after (a snapshot's, or a <c>Last-Event-ID</c>'s):
/// they get the lines after it from the ring, then live ones, in order, without a gap or a repeat.
/// </summary>
/// <remarks>
/// When the log is replaced (a new epoch: the store lost its data) or the node fell behind past
/// what the store still holds, the ring restarts at the log's end and every subscriber is told to
/// take a new snapshot: never a silent gap (the decision is <see cref="EventLogCursor.Apply"/>'s).
/// While the store is away the follower retries with a capped backoff and the streams stay open
/// (keepalives); when it is back they continue where they were.
/// </remarks>
internal sealed class EventFeed : IAsyncDisposable
{
    private readonly QueryMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lock _lock = new(); // guards the cursor and the fanout: a stream registers between two pages, never while one is handed out
    private readonly EventLogCursor _cursor;
    private readonly SubscriberFanout _fanout = new();
    private readonly Action<EventLogLine> _dispatch;
    private readonly EventLogFollower _follower;

    public EventFeed(EventLogStore log, int ringCapacity, TimeSpan pollInterval, QueryMetrics metrics, ILogger logger)
    {
        _cursor = new EventLogCursor(ringCapacity);
        _dispatch = _fanout.Offer;
        _metrics = metrics;
        _logger = logger;
        _follower = new EventLogFollower(log, this, pollInterval, metrics, logger);
    }

    /// <summary>Open streams registered here.</summary>
    public int Subscribers
    {
        get
        {
            lock (_lock)
                return _fanout.Count;
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

    /// <summary>The epoch this feed follows, or null before its first read.</summary>
    public string? Epoch
    {
        get
        {
            lock (_lock)
                return _cursor.Epoch;
        }
    }

    /// <summary>
    /// Starts following the log, once: at the first subscription, so a node nobody subscribes to
    /// does no events work at all. Once started it keeps following (its ring serves resumes).
    /// </summary>
    public void EnsureStarted() => _follower.EnsureStarted();

    /// <summary>Completes once the feed has read the log (so it knows its epoch); false after <paramref name="timeout"/>.</summary>
    public Task<bool> WaitReadyAsync(TimeSpan timeout) => _follower.WaitReadyAsync(timeout);

    /// <summary>Asks the feed to read the log now.</summary>
    public void Wake() => _follower.Wake();

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
            _fanout.Add(subscriber);
            return from;
        }
    }

    public void Unregister(Subscriber subscriber)
    {
        lock (_lock)
            _fanout.Remove(subscriber);
    }

    /// <summary>
    /// Takes one read of the log, made after <paramref name="after"/>: its lines go into the ring and
    /// to the subscribers watching their users. A read that restarts the cursor (another epoch, or
    /// the feed fell behind past what the store holds) tells every subscriber to take a new snapshot.
    /// </summary>
    internal FeedStep Take(EventLogRead read, long after)
    {
        lock (_lock)
        {
            string? epoch = _cursor.Epoch;
            var step = _cursor.Apply(read, _dispatch);
            _metrics.EventFeedPosition.Set(_cursor.Position);
            if (step == FeedStep.Restarted)
            {
                // A new epoch, or the feed fell behind past what the store holds: never a silent gap.
                QueryLog.EventLogReplaced(_logger, epoch!, read.Epoch, after, read.FirstSeq, read.LastSeq, _fanout.Count);
                _metrics.EventResyncs.Inc();
                _fanout.ResyncAll();
            }
            return step;
        }
    }

    public ValueTask DisposeAsync() => _follower.DisposeAsync();
}
