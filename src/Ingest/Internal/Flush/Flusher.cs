using System.Diagnostics;
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
/// memory stays bounded by --max-pending whatever the store does.
/// </summary>
/// <remarks>
/// All state is owned by one logical thread: <see cref="RunAsync"/>'s loop, then
/// <see cref="DrainAsync"/>. Time comes from the <see cref="IngestClock"/>'s <see cref="TimeProvider"/>,
/// so tests step the policy (<see cref="Step"/>) with a fake clock.
/// </remarks>
internal sealed class Flusher
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
    private PendingWrite[] _reorder = [];
    private long[] _urgency = [];
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

    /// <summary>Closes the window, starts a flush when one may start, and lets the transition detector look for expired users.</summary>
    private void Tick(long now)
    {
        MergeWindow();
        if (!Flushing && _pending.Count > 0 && now >= _nextAttemptMs)
            StartFlush(now);
        _transitions?.Tick(now);
        _metrics.PendingUsers.Set(_pending.Count);
        _room.Signal(); // expired users may have made room for waiting TCP connections
    }

    private void MergeWindow()
    {
        CoalescingWindow closed;
        long refused;
        using (_room.HoldForMerge())
        {
            closed = _coalescer.Swap(_spare);
            refused = _pending.Merge(closed);
        }
        closed.Clear();
        _spare = closed;
        if (refused > 0)
            _metrics.PendingFullDropped.Inc(refused);
    }

    private void StartFlush(long now)
    {
        _snapshotCount = _pending.Snapshot(ref _snapshot, now, _ttlMs, out long expired);
        if (expired > 0)
            _metrics.UsersExpired.Inc(expired);
        _issued = 0;
        if (_snapshotCount == 0)
            return;
        if (_outcomes.Length < _snapshotCount)
            _outcomes = new WriteOutcome[_snapshot.Length];
        if (_snapshotCount > _writer.ChunkSize)
            OrderByUrgency();
        _flushFailed = 0;
        _flushStarted = _time.GetTimestamp();
        if (!IssueChunk())
            EndFlush(failedWholly: false);
    }

    /// <summary>More than a chunk to write: the users whose key expires soonest go first (<see cref="FlushOrder"/>).</summary>
    private void OrderByUrgency()
    {
        if (_urgency.Length < _snapshotCount)
            _urgency = new long[_snapshot.Length];
        var transitions = _transitions;
        for (int i = 0; i < _snapshotCount; i++)
        {
            ref readonly var write = ref _snapshot[i];
            _urgency[i] = transitions is not null && transitions.TryGetWritten(write.UserId, out long written) ? written : write.ReceiveMs;
        }
        FlushOrder.ByUrgency(_snapshot, _urgency, _snapshotCount, ref _reorder);
    }

    /// <summary>
    /// Issues the next chunk of the snapshot, if any write of it is still due; returns false when
    /// none is (every write left had expired), so the caller ends the flush.
    /// </summary>
    private bool IssueChunk()
    {
        Debug.Assert(_chunk is null && _issued < _snapshotCount);
        _chunkStart = _issued;
        _chunkCount = TakeChunk(_clock.NowMs);
        if (_chunkCount == 0)
            return false;
        var outcomes = new ArraySegment<WriteOutcome>(_outcomes, _chunkStart, _chunkCount);
        // The buffer is reused: an outcome the writer leaves unwritten must read Failed (0), not an earlier flush's Refreshed.
        outcomes.AsSpan().Clear();
        try
        {
            _chunk = _writer.WriteChunkAsync(new ArraySegment<PendingWrite>(_snapshot, _chunkStart, _chunkCount), outcomes);
        }
        catch (Exception e)
        {
            // Not a store failure (those are outcomes) but a fault of the writer: the chunk fails,
            // its users stay pending, and the loop goes on rather than dying with the ingester running.
            _chunk = Task.FromException(e);
        }
        return true;
    }

    /// <summary>
    /// Moves the next chunk's writes to <c>_chunkStart</c> onward and returns how many. Each write's
    /// time left (<c>PX</c>) is computed now, as it is issued, not when the snapshot was taken: a
    /// chunk that waited behind others under a backlog must not keep its key past receive + ttl
    /// by the time it waited. A write with no time left is not issued: its key would already have
    /// expired (the user leaves the pending set, counted as expired, unless a newer record came).
    /// With events on, whether a write is only a refresh (<c>SET … XX</c>) is decided here too,
    /// from what the expiry tracker knows now (<see cref="RefreshMarginMs"/>).
    /// </summary>
    private int TakeChunk(long now)
    {
        var transitions = _transitions;
        long lapsesAfter = now + RefreshMarginMs - _ttlMs; // a key written after this has the margin left
        int count = 0;
        long expired = 0;
        int next = _issued;
        for (; next < _snapshotCount && count < _writer.ChunkSize; next++)
        {
            var write = _snapshot[next];
            long left = write.ReceiveMs + _ttlMs - now;
            if (left <= 0)
            {
                if (_pending.Expire(write))
                    expired++;
                continue;
            }
            bool refresh = transitions is not null && write.Kind == RecordKind.Heartbeat
                && transitions.TryGetWritten(write.UserId, out long written) && written > lapsesAfter;
            _snapshot[_chunkStart + count++] = write with { TtlLeftMs = (int)left, Refresh = refresh }; // left ≤ ttl ≤ 86,400,000
        }
        _issued = next;
        if (expired > 0)
            _metrics.UsersExpired.Inc(expired);
        return count;
    }

    /// <summary>
    /// One chunk answered: its confirmed users leave the pending set (room comes back now), its
    /// outcomes are counted and handed to the transition detector; then the next chunk is issued,
    /// or the flush ends. When every command of the chunk failed and the whole store is away, the
    /// rest of the snapshot is not issued (it would only fail too, each command building an
    /// exception of its own: with 100K users pending and the store away this cost 14.6 s of CPU in
    /// 15 s); the users stay pending for the next flush after the backoff.
    /// </summary>
    private void CompleteChunk()
    {
        Debug.Assert(_chunk is { IsCompleted: true });
        if (!_chunk.IsCompletedSuccessfully)
        {
            _ = _chunk.Exception; // observed; a faulted chunk confirms nothing, whatever outcomes it wrote
            _outcomes.AsSpan(_chunkStart, _chunkCount).Clear();
        }
        _chunk = null;
        long ok = 0;
        long missing = 0;
        long now = _clock.NowMs;
        for (int i = _chunkStart; i < _chunkStart + _chunkCount; i++)
        {
            var outcome = _outcomes[i];
            ref readonly var write = ref _snapshot[i];
            if (outcome == WriteOutcome.Failed)
            {
                _transitions?.OnUnanswered(write);
                continue;
            }
            if (outcome == WriteOutcome.Missing)
            {
                // Not written: the user stays pending; the detector notes the lapse, so the next
                // flush writes it with SET … GET (its answer begins the new online period).
                missing++;
                _transitions?.OnWritten(write, outcome, now);
                continue;
            }
            ok++;
            _pending.Confirm(write);
            _transitions?.OnWritten(write, outcome, now);
            _metrics.WriteLag.Observe(Math.Max(0, now - write.ReceiveMs) / 1000.0);
        }
        long failed = _chunkCount - ok - missing;
        _metrics.WritesOk.Inc(ok);
        if (missing > 0)
            _metrics.WritesMissing.Inc(missing);
        if (failed > 0)
            _metrics.WritesFailed.Inc(failed);
        _flushFailed += failed;
        _metrics.PendingUsers.Set(_pending.Count);
        _room.Signal();

        bool storeAway = ok == 0 && _issued < _snapshotCount && _writer.WholeStoreAway;
        if (_issued < _snapshotCount && !storeAway && IssueChunk())
            return;
        EndFlush(failedWholly: storeAway);
    }

    private void EndFlush(bool failedWholly)
    {
        int issued = _issued;
        _issued = _snapshotCount = 0; // what was not issued stays pending
        _metrics.FlushSeconds.Observe(_time.GetElapsedTime(_flushStarted).TotalSeconds);
        if (_flushFailed == 0 && !failedWholly)
        {
            if (_storeDown)
            {
                _storeDown = false;
                IngestLog.StoreRecovered(_logger, _backoff.Failures, _pending.Count);
            }
            _backoff.Succeed();
            _metrics.StoreUp.Set(1);
            return;
        }
        _metrics.StoreUp.Set(0);
        var delay = _backoff.Fail();
        _nextAttemptMs = _clock.NowMs + (long)delay.TotalMilliseconds;
        if (!_storeDown || _backoff.Failures % 20 == 0)
            IngestLog.StoreWriteFailed(_logger, _flushFailed, issued, _pending.Count, delay.TotalMilliseconds);
        _storeDown = true;
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
