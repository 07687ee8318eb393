using System.Diagnostics;
using Presence.Core.Interop;

namespace Presence.Ingest.Internal.Transitions;

/// <summary>
/// The users whose key this ingester last wrote, with that write's receive time: the ingester's
/// knowledge of when each key will expire (receive + ttl), so it can tell a user went offline
/// without a second store command per heartbeat. Owned by the flusher thread.
/// </summary>
/// <remarks>
/// An open-addressing table (linear probing, backward-shift deletion) of 12 bytes a slot: user id,
/// and the receive time as milliseconds after a base, in an int. It grows by 1.3× when more than 0.85
/// of its slots are taken, so n users take between 1.18 and 1.53 n slots: 14.6 MB at 1M users, against
/// ~40 MB for a <c>Dictionary&lt;ulong, long&gt;</c> with its buckets (at 1.6× and 0.8, 22.6 MB: seed
/// workload RSS 100–101 MB against 106–111 by hand, docs/PERFORMANCE.md, "Ingest memory at 1M online users").
/// The table lives outside the GC heap (<see cref="NativeBlock"/>): when it grows, the old one goes
/// back to the kernel at once, where a large array's region stayed committed in the GC heap.
/// Finding due users scans the times alone (4 bytes a slot); a lower bound of the earliest time
/// lets most ticks skip the scan: in the steady state every user refreshes long before it is due.
/// </remarks>
internal sealed unsafe class ExpiryTracker
{
    private const int EmptyValue = int.MaxValue; // an empty slot is never due
    private const ulong EmptyKey = 0;             // user id 0 is never valid (PROTOCOL.md)
    private const double MaxLoad = 0.85;
    private const double Growth = 1.3;
    private const long RebaseAfterMs = 1L << 30;  // ~12 days of offsets, well inside an int

    private NativeBlock _table;   // the keys (8 bytes a slot), then the values (4 bytes a slot)
    private ulong* _keys;
    private int* _values;
    private int _capacity;
    private int _count;
    private long _baseMs;
    private long _earliestLowerBound = long.MaxValue; // no tracked time is earlier than this (Unix ms)

    public ExpiryTracker(long nowMs, int capacity = 1024)
    {
        _table = Allocate(Math.Max(capacity, 16));
        _baseMs = nowMs - 86_400_000; // room for times up to a day old (adopted users)
    }

    public int Count => _count;

    /// <summary>Records that the key of <paramref name="userId"/> was written with <paramref name="receiveMs"/>; an older time never replaces a newer one.</summary>
    public void Set(ulong userId, long receiveMs)
    {
        Debug.Assert(userId != EmptyKey);
        if (receiveMs - _baseMs >= RebaseAfterMs)
            Rebase(receiveMs);
        int value = (int)Math.Max(0, receiveMs - _baseMs);
        int slot = Find(userId, out bool found);
        if (found)
        {
            if (value > _values[slot])
                _values[slot] = value;
            return;
        }
        if (_count + 1 > _capacity * MaxLoad)
        {
            Grow();
            slot = Find(userId, out _);
        }
        _keys[slot] = userId;
        _values[slot] = value;
        _count++;
        _earliestLowerBound = Math.Min(_earliestLowerBound, _baseMs + value);
        GC.KeepAlive(this); // the table is freed by its finalizer only once nobody reads it
    }

    public bool TryGet(ulong userId, out long receiveMs)
    {
        int slot = Find(userId, out bool found);
        receiveMs = found ? _baseMs + _values[slot] : 0;
        GC.KeepAlive(this);
        return found;
    }

    /// <summary>Adds a user only when it is not tracked yet (orphans adopted from a stopped ingester).</summary>
    public bool TryAdd(ulong userId, long receiveMs)
    {
        Find(userId, out bool found);
        if (found)
            return false;
        Set(userId, receiveMs);
        return true;
    }

    public bool Remove(ulong userId)
    {
        int slot = Find(userId, out bool found);
        if (!found)
            return false;
        // Backward shift: pull later members of the probe run into the hole, so lookups need no tombstones.
        int hole = slot;
        int next = hole;
        while (true)
        {
            next = next + 1 == _capacity ? 0 : next + 1;
            ulong key = _keys[next];
            if (key == EmptyKey)
                break;
            int home = Home(key);
            bool stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
            if (stays)
                continue;
            _keys[hole] = key;
            _values[hole] = _values[next];
            hole = next;
        }
        _keys[hole] = EmptyKey;
        _values[hole] = EmptyValue;
        _count--;
        GC.KeepAlive(this);
        return true;
    }

    /// <summary>
    /// Adds to <paramref name="due"/> (at most <paramref name="max"/>) the users whose written time is
    /// at or before <paramref name="atOrBeforeMs"/>, with that time, leaving out those <paramref name="skip"/>
    /// names (they stay tracked, and due). Returns how many were added.
    /// </summary>
    public int CollectDue(long atOrBeforeMs, List<TrackedUser> due, int max, Func<ulong, bool>? skip = null)
    {
        if (atOrBeforeMs < _earliestLowerBound || _count == 0)
            return 0;
        long threshold = atOrBeforeMs - _baseMs;
        if (threshold < 0)
            return 0;
        int limit = threshold >= EmptyValue ? EmptyValue - 1 : (int)threshold;
        var values = new ReadOnlySpan<int>(_values, _capacity);
        int added = 0;
        int earliest = EmptyValue;
        for (int i = 0; i < values.Length; i++)
        {
            int v = values[i];
            if (v < earliest)
                earliest = v;
            if (v <= limit && added < max && (skip is null || !skip(_keys[i])))
            {
                due.Add(new TrackedUser(_keys[i], _baseMs + v));
                added++;
            }
        }
        // Due users stay tracked until their check is resolved, so the bound is the earliest of all.
        _earliestLowerBound = earliest == EmptyValue ? long.MaxValue : _baseMs + earliest;
        GC.KeepAlive(this);
        return added;
    }

    /// <summary>Every tracked user (for the hand-over when the ingester stops).</summary>
    public IEnumerable<TrackedUser> All()
    {
        for (int i = 0; i < _capacity; i++)
        {
            if (Read(i) is { } user)
                yield return user; // the iterator holds this tracker: its table stays
        }
    }

    private int Find(ulong userId, out bool found)
    {
        int slot = Home(userId);
        while (true)
        {
            ulong key = _keys[slot];
            if (key == userId)
            {
                found = true;
                return slot;
            }
            if (key == EmptyKey)
            {
                found = false;
                return slot;
            }
            slot = slot + 1 == _capacity ? 0 : slot + 1;
        }
    }

    private TrackedUser? Read(int slot) => _keys[slot] == EmptyKey ? null : new TrackedUser(_keys[slot], _baseMs + _values[slot]);

    /// <summary>Fibonacci hashing, reduced to the table's (any) length by a multiply-high.</summary>
    private int Home(ulong userId) => (int)Math.BigMul(userId * 0x9E3779B97F4A7C15UL, (ulong)_capacity, out _);

    /// <summary>A table of <paramref name="capacity"/> empty slots, made the tracker's own.</summary>
    private NativeBlock Allocate(int capacity)
    {
        var table = new NativeBlock((nuint)capacity * (sizeof(ulong) + sizeof(int)));
        _keys = (ulong*)table.Address; // zero: every key empty
        _values = (int*)(_keys + capacity);
        _capacity = capacity;
        new Span<int>(_values, capacity).Fill(EmptyValue);
        return table;
    }

    private void Grow()
    {
        var old = _table;
        ulong* keys = _keys;
        int* values = _values;
        int oldCapacity = _capacity;
        _table = Allocate((int)Math.Min(Array.MaxLength, Math.Max(16L, (long)(oldCapacity * Growth))));
        for (int i = 0; i < oldCapacity; i++)
        {
            if (keys[i] == EmptyKey)
                continue;
            int slot = Find(keys[i], out _);
            _keys[slot] = keys[i];
            _values[slot] = values[i];
        }
        old.Dispose(); // back to the kernel now, not at some later full GC
    }

    /// <summary>Moves the base forward so offsets stay small; times older than the new base become the base (long due anyway).</summary>
    private void Rebase(long nowMs)
    {
        long newBase = nowMs - 86_400_000;
        long shift = newBase - _baseMs;
        for (int i = 0; i < _capacity; i++)
        {
            if (_keys[i] != EmptyKey)
                _values[i] = (int)Math.Max(0, _values[i] - shift);
        }
        _baseMs = newBase; // absolute times only moved forward for clamped users: the lower bound still holds
    }
}
