namespace Presence.Ingest.Internal.Transitions;

/// <summary>
/// The events appender's bounded queue: one writer (the flusher thread), one reader (the append loop).
/// A <see cref="Queue{T}"/> under a lock, not a bounded <c>Channel</c>, because the channel's buffer
/// never shrinks: a cold start's online burst grew it to its 1M transitions (32 MB) for the life of the
/// process (docs/PERFORMANCE.md, "Ingest memory at 1M online users"). Here the buffer is given back
/// whenever the reader empties the queue after it held more than <see cref="KeepBelow"/>.
/// </summary>
internal sealed class TransitionQueue<T>(int capacity)
{
    /// <summary>A buffer that held no more than this many stays allocated when the queue empties (a steady trickle reuses it).</summary>
    public const int KeepBelow = 16_384;

    private readonly Lock _gate = new();
    private readonly Queue<T> _items = new();
    private TaskCompletionSource<bool>? _waiter;
    private bool _completed;
    private int _peak;

    /// <summary>Items waiting now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
                return _items.Count;
        }
    }

    /// <summary>Slots the buffer has allocated now (tests: that a burst's memory is given back).</summary>
    internal int Allocated
    {
        get
        {
            lock (_gate)
                return _items.EnsureCapacity(0);
        }
    }

    /// <summary>Adds an item; false when the queue is full or completed.</summary>
    public bool TryWrite(T item)
    {
        TaskCompletionSource<bool>? waiter;
        lock (_gate)
        {
            if (_completed || _items.Count >= capacity)
                return false;
            _items.Enqueue(item);
            if (_items.Count > _peak)
                _peak = _items.Count;
            waiter = _waiter;
            _waiter = null;
        }
        waiter?.TrySetResult(true);
        return true;
    }

    /// <summary>Takes the oldest item, if any.</summary>
    public bool TryRead(out T item)
    {
        lock (_gate)
        {
            if (!_items.TryDequeue(out item!))
                return false;
            if (_items.Count == 0 && _peak > KeepBelow)
            {
                _items.TrimExcess(); // empty: the burst's buffer goes back to the runtime
                _peak = 0;
            }
            return true;
        }
    }

    /// <summary>True once an item is waiting; false when completed and empty.</summary>
    public async ValueTask<bool> WaitToReadAsync(CancellationToken cancel)
    {
        Task<bool> wait;
        lock (_gate)
        {
            if (_items.Count > 0)
                return true;
            if (_completed)
                return false;
            _waiter ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _waiter.Task;
        }
        return await wait.WaitAsync(cancel).ConfigureAwait(false);
    }

    /// <summary>No more items will be written: a reader waiting on an empty queue is told false.</summary>
    public void Complete()
    {
        TaskCompletionSource<bool>? waiter;
        lock (_gate)
        {
            _completed = true;
            waiter = _waiter;
            _waiter = null;
        }
        waiter?.TrySetResult(false);
    }
}
