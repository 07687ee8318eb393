using Presence.Core;
using Presence.Ingest.Internal.Coalesce;
using Presence.Ingest.Internal.Infrastructure;

namespace Presence.Ingest.Internal.Flush;

/// <summary>
/// Every flush interval: closes the coalescer's window, merges it into the pending set, and —
/// when no flush is under way and no backoff is running — writes a snapshot of everything
/// pending, chunk by chunk, one chunk in flight at a time. So writes for a user never overtake
/// each other; each chunk's users are confirmed (and their room returned) as soon as its answers
/// arrive, not at the end of the flush; windows keep being merged while a slow store answers, so
/// memory stays bounded by --max-pending whatever the store does. A flush that outlasted a tick
/// is followed at once by the next (users are waiting), not at the next tick.
/// </summary>
/// <remarks>
/// All state is owned by one logical thread: <see cref="RunAsync"/>'s loop, then
/// <see cref="DrainAsync"/>. Time comes from the <see cref="IngestClock"/>'s <see cref="TimeProvider"/>,
/// so tests step the policy (<see cref="Step"/>) with a fake clock.
/// </remarks>
internal sealed partial class Flusher
{
    private static readonly Task s_never = new TaskCompletionSource().Task;

    private readonly Coalescer _coalescer;
    private readonly IStoreWriter _writer;
    private readonly PendingSet _pending;
    private readonly IngestMetrics _metrics;
    private readonly IngestClock _clock;
    private readonly TimeProvider _time;
    private readonly PendingBudget _room;
    private readonly ILogger _logger;
    private readonly IWriteObserver? _transitions;
    private readonly long _intervalMs;
    private readonly long _ttlMs;

    /// <summary>
    /// A user whose key has at least this long left when its write is issued gets a refresh
    /// (<c>SET … XX</c>, <see cref="PendingWrite.Refresh"/>): time for the command to reach the
    /// store before the key lapses. A refresh that arrives too late anyway finds no key
    /// (<see cref="WriteOutcome.Missing"/>) and the user is written again; nothing is lost.
    /// </summary>
    internal const long RefreshMarginMs = 2_000;

    private PendingWrite[] _snapshot = [];
    private ushort[] _urgency = [];  // each write's urgency bucket (FlushOrder)
    private WriteOutcome[] _outcomes = [];
    private int _snapshotCount;
    private int _issued;          // writes of the snapshot issued so far
    private int _chunkStart;
    private int _chunkCount;
    private long _flushFailed;    // failed writes in the flush under way
    private long _flushStarted;   // timestamp
    private Task? _chunk;         // the chunk in flight
    private CoalescingWindow _spare = new(1024);
    private Backoff _backoff = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));
    private long _nextTickMs;
    private long _nextAttemptMs;
    private bool _storeDown;
    private long _writeLagMs;     // WriteLagMs: written on the flusher's thread, read by the events appender's
    private bool _mergedDuringFlush; // a tick merged users while the flush under way was running: start the next at its end

    public Flusher(Coalescer coalescer, IStoreWriter writer, IngestOptions options, IngestMetrics metrics, IngestClock clock, ILogger logger,
        PendingBudget room, IWriteObserver? transitions = null)
    {
        _room = room;
        _coalescer = coalescer;
        _writer = writer;
        _pending = new PendingSet(options.MaxPending);
        _metrics = metrics;
        _clock = clock;
        _time = clock.Time;
        _logger = logger;
        _transitions = transitions;
        _intervalMs = options.FlushMs;
        _ttlMs = options.TtlSeconds * 1000L;
        _nextTickMs = clock.NowMs + _intervalMs;
        if (transitions is not null)
            transitions.WriteOutstanding = user => _pending.TryGet(user, out _);
    }

    /// <summary>
    /// Users received and not yet confirmed written: the pending set plus the open window. A user
    /// in both counts twice here, so this is an upper bound, zero exactly when nothing is outstanding;
    /// the gauge <c>presence_pending_users</c> counts each user once (the pending set, as of the last tick).
    /// </summary>
    public long PendingUsers => _pending.Count + _coalescer.OpenCount;

    /// <summary>
    /// How far behind presence writes are, in ms: the age of the oldest write confirmed by the chunk answered
    /// last (at its answer; what <c>presence_write_lag_seconds</c> observes), 0 once a flush left nobody
    /// pending. The events appender yields the store to presence writes while this is high
    /// (<see cref="Transitions.EventLogAppender.PresenceLagMs"/>). Any thread.
    /// </summary>
    public long WriteLagMs => Volatile.Read(ref _writeLagMs);

    /// <summary>Users in the pending set (each once).</summary>
    internal int PendingSetCount => _pending.Count;

    /// <summary>A flush is under way (a chunk in flight, or chunks of its snapshot not yet issued).</summary>
    internal bool Flushing => _chunk is not null || _issued < _snapshotCount;

    /// <summary>The earliest time (Unix ms) the next flush may start after a failure.</summary>
    internal long NextAttemptMs => _nextAttemptMs;

    internal int ConsecutiveFailures => _backoff.Failures;

    /// <summary>Flushes every interval until <paramref name="stop"/> is cancelled; then returns (see <see cref="DrainAsync"/>).</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                long wait = Math.Max(0, _nextTickMs - _clock.NowMs);
                var delay = Task.Delay(TimeSpan.FromMilliseconds(wait), _time, stop);
                // Wake for the tick, or as soon as a chunk or an expiry check is answered: its
                // outcome is counted, and its users confirmed, the moment it is known.
                await Task.WhenAny(delay, _chunk ?? s_never, _transitions?.InFlight ?? s_never).ConfigureAwait(false);
                if (stop.IsCancellationRequested)
                    break;
                Step();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// One step of the policy: takes every answer that has arrived (issuing the next chunk), and
    /// when the tick is due, ticks. Runs on one thread at a time (the loop, then the drain, or a test).
    /// </summary>
    internal void Step()
    {
        if (_chunk is { IsCompleted: true })
            CompleteChunk();
        _transitions?.TakeAnswers();
        long now = _clock.NowMs;
        if (now >= _nextTickMs)
        {
            Tick(now);
            // A late tick (a stalled thread) is not made up for with a burst of ticks.
            _nextTickMs = Math.Max(_nextTickMs + _intervalMs, now + 1);
        }
    }

    /// <summary>Closes the window, starts a flush when one may start, and ticks what follows the flush (with --events on: the transitions stage, which looks for expired users).</summary>
    private void Tick(long now)
    {
        if (MergeWindow() > 0 && Flushing)
            _mergedDuringFlush = true;
        if (!Flushing && _pending.Count > 0 && now >= _nextAttemptMs)
            StartFlush(now);
        _transitions?.Tick(now);
        _metrics.PendingUsers.Set(_pending.Count);
        _room.Signal(); // expired users may have made room for waiting TCP connections
    }

    /// <summary>Closes the open window into the pending set; returns how many users it held.</summary>
    private int MergeWindow()
    {
        CoalescingWindow closed;
        long refused;
        using (_room.HoldForMerge())
        {
            closed = _coalescer.Swap(_spare);
            refused = _pending.Merge(closed);
        }
        int users = closed.Count;
        closed.Clear();
        _spare = closed;
        if (refused > 0)
            _metrics.PendingFullDropped.Inc(refused);
        return users;
    }

    /// <summary>
    /// After receiving stopped and the coalescer drained: writes what is pending, retrying (with
    /// the backoff, but not waiting out one already running) until all is confirmed or
    /// <paramref name="timeout"/> passes. Returns the users still unwritten.
    /// </summary>
    public async Task<long> DrainAsync(TimeSpan timeout)
    {
        long deadline = _clock.NowMs + (long)timeout.TotalMilliseconds;
        _nextAttemptMs = 0;
        while (true)
        {
            if (_chunk is not null)
            {
                long left = deadline - _clock.NowMs;
                if (left <= 0)
                    break;
                if (!_chunk.IsCompleted) // no timer left behind per chunk answered at once
                    await Task.WhenAny(_chunk, Task.Delay(TimeSpan.FromMilliseconds(left), _time)).ConfigureAwait(false);
                if (!_chunk.IsCompleted)
                    break;
                CompleteChunk();
                continue;
            }
            MergeWindow();
            long now = _clock.NowMs;
            if (_pending.Count > 0 && now >= _nextAttemptMs)
                StartFlush(now);
            _metrics.PendingUsers.Set(_pending.Count);
            if (!Flushing && PendingUsers == 0)
                break;
            if (now >= deadline)
                break;
            if (!Flushing)
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(20, Math.Max(1, deadline - now))), _time).ConfigureAwait(false); // backing off after a failure
        }
        _transitions?.TakeAnswers();
        return PendingUsers;
    }
}
