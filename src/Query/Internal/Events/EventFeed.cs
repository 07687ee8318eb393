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
    private readonly TimeProvider _time;
    private long _clockMs; // the latest read time handed out (Now, or a read's stamp): never goes backwards
    private long _stampMs; // the read time of the read being taken
    private long _unreadable; // lines skipped as unreadable since the last warning (Query[11])
    private long _unreadableWarnedMs = -UnreadableWarningMs;
    private const long UnreadableWarningMs = 60_000; // Query[11] at most once a minute

    public EventFeed(EventLogStore log, int ringCapacity, TimeSpan pollInterval, QueryMetrics metrics, ILogger logger, TimeProvider? time = null)
    {
        _cursor = new EventLogCursor(ringCapacity);
        _dispatch = line => _fanout.Offer(line, _stampMs);
        _time = time ?? TimeProvider.System;
        _metrics = metrics;
        _logger = logger;
        _follower = new EventLogFollower(log, this, pollInterval, metrics, logger);
    }

    /// <summary>
    /// This feed's name in a debounced stream's event ids (8 hex digits, new at each start): what a
    /// debounced stream sends depends on when this node read each line (<see cref="StreamItem.ReadMs"/>),
    /// so only the node that sent an id can resume after it exactly (HTTP-API.md, "Debounce").
    /// </summary>
    public string Node { get; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));

    /// <summary>
    /// The node's clock for debounced streams (Unix ms): at or after every read time handed out so
    /// far, and every line read from now on gets a read time at or after it. A debounced stream
    /// releases a held offline due by this time knowing no later line can cancel it.
    /// </summary>
    public long Now()
    {
        lock (_lock)
            return Tick();
    }

    private long Tick() => _clockMs = Math.Max(_clockMs, _time.GetUtcNow().ToUnixTimeMilliseconds());

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
    public ResumeFrom TryRegister(Subscriber subscriber, string epoch, long afterSeq, long storeLast, List<StreamItem> catchUp)
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

    /// <summary>
    /// Registers a debounced stream resuming after the point (<paramref name="afterSeq"/>,
    /// <paramref name="pointMs"/>) of one of this node's ids: <paramref name="window"/> gets the
    /// lines about its ids this node read from <paramref name="windowMs"/> before the point on (and
    /// every line after <paramref name="afterSeq"/>), which <see cref="Debouncer"/> replays. False,
    /// registering nothing, when the ring does not hold all of them, the position is not one it can
    /// serve, or the point does not fit the line (not an id this node sent).
    /// </summary>
    public bool TryRegisterWindow(Subscriber subscriber, string epoch, long afterSeq, long pointMs, long windowMs, List<StreamItem> window)
    {
        lock (_lock)
        {
            if (_cursor.Locate(epoch, afterSeq, storeLast: 0) != ResumeFrom.Ring)
                return false;
            var ring = _cursor.Ring;
            if (pointMs > _clockMs || (afterSeq >= ring.OldestSeq && ring.ReadMsOf(afterSeq) > pointMs) || !ring.HoldsReadsSince(pointMs - windowMs))
                return false;
            Register(subscriber, Math.Min(ring.FirstReadAtOrAfter(pointMs - windowMs), afterSeq + 1), window);
            return true;
        }
    }

    /// <summary>
    /// Registers a debounced stream at a snapshot taken at <paramref name="seq"/> of
    /// <paramref name="epoch"/>: <see cref="ResumeFrom.Ring"/> when this feed has read that far
    /// (then <paramref name="pointMs"/> is the snapshot's place in read time, and
    /// <paramref name="window"/> as for <see cref="TryRegisterWindow"/>); <see cref="ResumeFrom.Ahead"/>
    /// when it has not yet (registers nothing: wait for <see cref="Position"/> and ask again); else
    /// nothing can be registered there.
    /// </summary>
    public ResumeFrom TryRegisterAtSnapshot(Subscriber subscriber, string epoch, long seq, long windowMs, List<StreamItem> window, out long pointMs)
    {
        lock (_lock)
        {
            pointMs = 0;
            var from = _cursor.Locate(epoch, seq, storeLast: seq);
            if (from != ResumeFrom.Ring)
                return from;
            var ring = _cursor.Ring;
            // Every line up to seq was read at or before pointMs; every later one at or after it.
            pointMs = seq >= ring.OldestSeq ? ring.ReadMsOf(seq) : ring.Count > 0 ? ring.ReadMsOf(ring.OldestSeq) : Tick();
            Register(subscriber, Math.Min(ring.FirstReadAtOrAfter(pointMs - windowMs), seq + 1), window);
            return from;
        }
    }

    /// <summary>Under the lock: <paramref name="window"/> gets the ring's lines from <paramref name="fromSeq"/> on; live lines follow.</summary>
    private void Register(Subscriber subscriber, long fromSeq, List<StreamItem> window)
    {
        var ring = _cursor.Ring;
        ring.Collect(fromSeq - 1, subscriber.Ids, window);
        subscriber.LiveAfter = ring.LastSeq;
        _fanout.Add(subscriber);
    }

    /// <summary>Completes when the feed has read up to <paramref name="seq"/>; false after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForPositionAsync(long seq, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Position < seq)
        {
            if (Environment.TickCount64 >= deadline)
                return false;
            Wake();
            await Task.Delay(10).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>Queues a <see cref="StreamItemKind.Membership"/> marker for <paramref name="subscriber"/> (its queue's one writer is this lock's holder).</summary>
    public void NotifyMembership(Subscriber subscriber)
    {
        lock (_lock)
            subscriber.RequestMembership();
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
            long before = _cursor.Position;
            _stampMs = Tick();
            var step = _cursor.Apply(read, _dispatch, _stampMs);
            _metrics.EventFeedPosition.Set(_cursor.Position);
            long skipped = _cursor.Position - before - read.Entries.Count; // lines the cursor passed that did not parse
            if ((step is FeedStep.More or FeedStep.AtEnd) && skipped > 0)
                CountUnreadable(skipped);
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

    /// <summary>Lines read but not parsed (a form this node does not know): counted each, warned of at most once a minute.</summary>
    private void CountUnreadable(long lines)
    {
        _metrics.EventLinesUnreadable.Inc(lines);
        _unreadable += lines;
        if (_stampMs - _unreadableWarnedMs < UnreadableWarningMs)
            return;
        QueryLog.EventLogLinesUnreadable(_logger, _cursor.Position, _unreadable);
        _unreadableWarnedMs = _stampMs;
        _unreadable = 0;
    }

    public ValueTask DisposeAsync() => _follower.DisposeAsync();
}
