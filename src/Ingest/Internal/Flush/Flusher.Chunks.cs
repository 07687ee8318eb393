using System.Diagnostics;
using Presence.Core;

namespace Presence.Ingest.Internal.Flush;

/// <summary>
/// One flush: a snapshot of the pending set (most urgent first under a backlog), issued chunk by
/// chunk with each write's time left computed as it goes out, and each chunk's answers counted,
/// confirmed and handed to what follows the flush (<see cref="IWriteObserver"/>).
/// </summary>
internal sealed partial class Flusher
{
    /// <summary>How many writes ahead the loops over a flush's writes ask for the next users' tracker slots (<see cref="IWriteObserver.Prefetch"/>).</summary>
    private const int PrefetchAhead = 8;

    private void StartFlush(long now)
    {
        _snapshotCount = _pending.Snapshot(ref _snapshot, now, _ttlMs, out long expired);
        if (expired > 0)
        {
            // Dropped from the pending set: the gauge and the room follow now, whoever started the flush.
            _metrics.UsersExpired.Inc(expired);
            _metrics.PendingUsers.Set(_pending.Count);
            _room.Signal();
        }
        _issued = 0;
        _mergedDuringFlush = false;
        if (_snapshotCount == 0)
            return;
        if (_outcomes.Length < _snapshotCount)
            _outcomes = new WriteOutcome[_snapshot.Length];
        if (_snapshotCount > _writer.ChunkSize)
            OrderByUrgency(now);
        _flushFailed = 0;
        _flushStarted = _time.GetTimestamp();
        if (!IssueChunk())
            EndFlush(failedWholly: false);
    }

    /// <summary>More than a chunk to write: the users whose key expires soonest go first (<see cref="FlushOrder"/>).</summary>
    private void OrderByUrgency(long now)
    {
        if (_urgency.Length < _snapshotCount)
            _urgency = new ushort[_snapshot.Length];
        long oldest = now - _ttlMs; // a key written before this has lapsed: as urgent as can be
        long width = FlushOrder.BucketWidth(_ttlMs, _snapshotCount);
        var transitions = _transitions;
        for (int i = 0; i < _snapshotCount; i++)
        {
            if (i + PrefetchAhead < _snapshotCount)
                transitions?.Prefetch(_snapshot[i + PrefetchAhead].UserId);
            ref readonly var write = ref _snapshot[i];
            long urgency = transitions is not null && transitions.TryGetWritten(write.UserId, out long written) ? written : write.ReceiveMs;
            _urgency[i] = FlushOrder.Bucket(urgency, oldest, _ttlMs, width);
        }
        FlushOrder.ByBucket(_snapshot, _urgency, _snapshotCount, FlushOrder.Buckets(_ttlMs, width));
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
            if (next + PrefetchAhead < _snapshotCount)
                transitions?.Prefetch(_snapshot[next + PrefetchAhead].UserId);
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
    /// outcomes are counted and handed to what follows the flush (<see cref="IWriteObserver"/>); then the next chunk is issued,
    /// or the flush ends. When any write of it was answered, the next chunk is issued first, so the
    /// store works on it while this one's outcomes are taken (its users are not the next chunk's:
    /// a snapshot holds each user once). When every command of the chunk failed and the whole store is away, the
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
        int start = _chunkStart, count = _chunkCount;
        // Issued early, the next chunk is in _chunk (checked below); when IssueChunk finds no write
        // still due, _issued reached _snapshotCount and the flush ends below.
        if (_issued < _snapshotCount && _outcomes.AsSpan(start, count).ContainsAnyExcept(WriteOutcome.Failed))
            IssueChunk();
        long ok = 0;
        long missing = 0;
        long now = _clock.NowMs;
        long oldest = now;
        for (int i = start; i < start + count; i++)
        {
            if (i + PrefetchAhead < start + count)
                _transitions?.Prefetch(_snapshot[i + PrefetchAhead].UserId);
            var outcome = _outcomes[i];
            ref readonly var write = ref _snapshot[i];
            if (outcome == WriteOutcome.Failed)
            {
                _transitions?.OnUnanswered(write);
                continue;
            }
            if (outcome == WriteOutcome.Missing)
            {
                // Not written: the user stays pending; the transitions stage notes the lapse, so the next
                // flush writes it with SET … GET (its answer begins the new online period).
                missing++;
                _transitions?.OnWritten(write, outcome, now);
                continue;
            }
            ok++;
            oldest = Math.Min(oldest, write.ReceiveMs);
            _pending.Confirm(write);
            _transitions?.OnWritten(write, outcome, now);
            _metrics.WriteLag.Observe(Math.Max(0, now - write.ReceiveMs) / 1000.0);
        }
        if (ok > 0)
            Volatile.Write(ref _writeLagMs, now - oldest); // confirmed writes only: a node away under a cluster is not presence behind
        long failed = count - ok - missing;
        _metrics.WritesOk.Inc(ok);
        if (missing > 0)
            _metrics.WritesMissing.Inc(missing);
        if (failed > 0)
            _metrics.WritesFailed.Inc(failed);
        _flushFailed += failed;
        _metrics.PendingUsers.Set(_pending.Count);
        _room.Signal();

        if (_chunk is not null)
            return; // the next chunk went out above
        bool storeAway = ok == 0 && _issued < _snapshotCount && _writer.WholeStoreAway;
        if (_issued < _snapshotCount && !storeAway && IssueChunk())
            return;
        EndFlush(failedWholly: storeAway);
        // A flush that outlasted a tick (a backlog: the store slower than the load) ends with the users
        // that tick merged waiting: the next flush starts at once rather than at the next tick, which would
        // leave the store idle for up to a window. A flush that ended within its window leaves what it
        // left pending (a refresh that found the key gone) to the next tick, as before.
        if (_mergedDuringFlush && _pending.Count > 0 && now >= _nextAttemptMs)
            StartFlush(_clock.NowMs);
    }

    private void EndFlush(bool failedWholly)
    {
        int issued = _issued;
        _issued = _snapshotCount = 0; // what was not issued stays pending
        _metrics.FlushSeconds.Observe(_time.GetElapsedTime(_flushStarted).TotalSeconds);
        if (_pending.Count == 0)
            Volatile.Write(ref _writeLagMs, 0); // caught up: nothing is behind until the next chunk says so
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
            IngestLog.StoreWriteFailed(_logger, _flushFailed, issued, _pending.Count, delay.TotalMilliseconds, _writer.LastError ?? "no reason known");
        _storeDown = true;
    }
}
