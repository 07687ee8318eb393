using Presence.Core.Interop;

namespace Presence.Ingest.Internal.Transitions;

/// <summary>
/// The events appender's bounded queue: one writer (the flusher thread), one reader (the append loop).
/// A ring under a lock, not a bounded <c>Channel</c>, because the channel's buffer never shrinks: a cold
/// start's online burst grew it to its 1M transitions for the life of the process; nor a growing
/// <see cref="Queue{T}"/>, whose arrays (each growth's, and the trimmed one) stayed committed in the
/// GC's large object heap after they died (docs/PERFORMANCE.md, "Ingest memory at 1M online users").
/// The ring's memory is a <see cref="NativeBlock"/> of the full capacity, resident only as far as it
/// was written: the reader restarts it at its front each time it empties the queue, and gives its pages
/// back to the kernel when the queue empties after it held more than <see cref="KeepBelow"/>, and then
/// tells its owner the burst is over (<c>burstOver</c>, called outside the lock on the reader's thread).
/// </summary>
internal sealed class TransitionQueue<T> where T : unmanaged
{
    /// <summary>A burst that held no more than this many keeps its pages when the queue empties (a steady trickle reuses them).</summary>
    public const int KeepBelow = 16_384;

    private readonly Lock _gate = new();
    private readonly NativeBlock _ring;
    private readonly unsafe T* _items;
    private readonly int _capacity;
    private int _head;
    private int _count;
    private TaskCompletionSource<bool>? _waiter;
    private bool _completed;
    private int _peak;
    private readonly Action? _burstOver;

    public unsafe TransitionQueue(int capacity, Action? burstOver = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
        _burstOver = burstOver;
        _ring = new NativeBlock((nuint)capacity * (nuint)sizeof(T));
        _items = (T*)_ring.Address;
    }

    /// <summary>Items waiting now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
                return _count;
        }
    }

    /// <summary>Slots resident in memory now (tests: that a burst's memory is given back).</summary>
    internal unsafe int Allocated
    {
        get
        {
            lock (_gate)
                return (int)(_ring.ResidentBytes() / (nuint)sizeof(T));
        }
    }

    /// <summary>Adds an item; false when the queue is full or completed.</summary>
    public bool TryWrite(T item) => TryWrite(new ReadOnlySpan<T>(in item));

    /// <summary>Adds the items next to each other, so the reader never takes one without those after it being there; false (none added) when there is no room for all, or the queue is completed.</summary>
    public unsafe bool TryWrite(ReadOnlySpan<T> items)
    {
        TaskCompletionSource<bool>? waiter;
        lock (_gate)
        {
            if (_completed || _count > _capacity - items.Length)
                return false;
            foreach (var item in items)
            {
                int tail = _head + _count;
                _items[tail >= _capacity ? tail - _capacity : tail] = item;
                _count++;
            }
            if (_count > _peak)
                _peak = _count;
            waiter = _waiter;
            _waiter = null;
        }
        waiter?.TrySetResult(true);
        return true;
    }

    /// <summary>The oldest item, if any, left in the queue.</summary>
    public unsafe bool TryPeek(out T item)
    {
        lock (_gate)
        {
            item = _count > 0 ? _items[_head] : default;
            return _count > 0;
        }
    }

    /// <summary>Takes the oldest item, if any.</summary>
    public unsafe bool TryRead(out T item)
    {
        bool burstOver = false;
        lock (_gate)
        {
            if (_count == 0)
            {
                item = default;
                return false;
            }
            item = _items[_head];
            _count--;
            _head = _head + 1 == _capacity ? 0 : _head + 1;
            if (_count == 0)
            {
                _head = 0; // empty: the next items go in at the front, so a trickle keeps to the same pages
                if (_peak > KeepBelow)
                {
                    _ring.Discard(0); // the burst's pages go back to the kernel
                    _peak = 0;
                    burstOver = true;
                }
            }
        }
        if (burstOver)
            _burstOver?.Invoke();
        return true;
    }

    /// <summary>True once an item is waiting; false when completed and empty.</summary>
    public async ValueTask<bool> WaitToReadAsync(CancellationToken cancel)
    {
        Task<bool> wait;
        lock (_gate)
        {
            if (_count > 0)
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
