using System.Diagnostics;

namespace Presence.Ingest.Internal.Infrastructure;

/// <summary>
/// Admission for the sources that can be made to wait (TCP connections). A batch enters the
/// pipeline only while the users held (pending + open window) plus the records already admitted
/// but not yet applied stay within --max-pending; otherwise its connection waits, stops reading,
/// and its sender's writes block. UDP cannot be slowed, so it never waits here (its overflow is
/// dropped and counted as before). So a slow or absent store costs TCP senders time, not records,
/// and the ingester's memory stays bounded either way.
/// </summary>
/// <remarks>
/// Records counted against the room are an upper bound on new users (a user already held takes
/// no more room), so the room errs on the side of waiting. The flusher merges a closed window
/// into the pending set under <see cref="HoldForMerge"/>: between the swap and the merge the
/// closed window's users are counted nowhere, and no reservation may be judged in that gap.
/// </remarks>
internal sealed class PendingBudget(long limit, Func<long> pending)
{
    private readonly Lock _lock = new();
    private long _reserved;
    private TaskCompletionSource _changed = NewSignal();

    public long Limit { get; } = limit;

    /// <summary>Records admitted and not yet applied by the coalescer.</summary>
    public long Reserved
    {
        get
        {
            lock (_lock)
                return _reserved;
        }
    }

    /// <summary>Admits <paramref name="records"/> now if there is room; never waits.</summary>
    public bool TryReserve(int records)
    {
        lock (_lock)
            return TryReserveLocked(records);
    }

    /// <summary>Waits until <paramref name="records"/> fit, then admits them.</summary>
    public async ValueTask ReserveAsync(int records, CancellationToken cancel)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (TryReserveLocked(records))
                    return;
                changed = _changed.Task;
            }
            await changed.WaitAsync(cancel).ConfigureAwait(false);
        }
    }

    /// <summary>The coalescer applied records admitted earlier (they now count as held, or were absorbed).</summary>
    public void Release(int records)
    {
        if (records == 0)
            return;
        lock (_lock)
        {
            _reserved -= records;
            Debug.Assert(_reserved >= 0);
        }
        Signal();
    }

    /// <summary>Held users may have fallen (a flush confirmed writes, or expired users were dropped): wake the waiters to look again.</summary>
    public void Signal()
    {
        var old = Interlocked.Exchange(ref _changed, NewSignal());
        old.TrySetResult();
    }

    /// <summary>Taken by the flusher around swapping and merging a window, so no admission sees the gap.</summary>
    public Lock.Scope HoldForMerge() => _lock.EnterScope();

    private bool TryReserveLocked(int records)
    {
        long heldNow = pending();
        // A batch larger than the whole limit still gets in when nothing else is held, or it would wait forever.
        if (heldNow + _reserved + records > Limit && (heldNow > 0 || _reserved > 0))
            return false;
        _reserved += records;
        return true;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
