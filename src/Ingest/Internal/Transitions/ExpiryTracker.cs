using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Presence.Core.Interop;

namespace Presence.Ingest.Internal.Transitions;

/// <summary>
/// The users whose key this ingester last wrote, with that write's receive time: the ingester's
/// knowledge of when each key will expire (receive + ttl), so it can tell a user went offline
/// without a second store command per heartbeat. Owned by the flusher thread.
/// </summary>
/// <remarks>
/// An open-addressing table (linear probing, backward-shift deletion) of 12 bytes a slot: the user id
/// and, beside it, the receive time as milliseconds after a base, in an int, so a lookup reads one
/// cache line (one in five slots straddles two), not one in a key array and another in a value array:
/// at a few million users every lookup misses the caches, and the flusher makes three or four a write.
/// The flusher walks a flush's writes in order and asks for each user's slot a few writes ahead
/// (<see cref="Prefetch"/>), so those misses overlap (docs/PERFORMANCE.md, "Where the ingest's time
/// goes at 300,000 heartbeats/s"; huge pages for the table were measured there too, and left out).
/// It grows by 1.3× when more than 0.85 of its slots are taken, so n users take between 1.18 and 1.53 n
/// slots: 14.6 MB at 1M users, against ~40 MB for a <c>Dictionary&lt;ulong, long&gt;</c> with its
/// buckets (at 1.6× and 0.8, 22.6 MB: seed workload RSS 100–101 MB against 106–111 by hand,
/// docs/PERFORMANCE.md, "Ingest memory at 1M online users"). The table lives outside the GC heap
/// (<see cref="NativeBlock"/>): when it grows, the old one goes back to the kernel at once, where a
/// large array's region stayed committed in the GC heap. A lower bound of the earliest time lets most
/// ticks skip the scan for due users: in the steady state every user refreshes long before it is due.
/// While users are going offline some always are, so the scan also keeps a lower bound per block of 64
/// slots (4 bytes a block) and reads only the blocks whose bound is due, setting each to its exact
/// earliest: a tick reads the blocks of the users due now and of those whose bound went stale, not the
/// whole table (at 1M users with 300 due, ~15 µs a tick against 0.6 ms; docs/PERFORMANCE.md, "The expiry watcher's scan").
/// </remarks>
internal sealed unsafe class ExpiryTracker
{
    private const int EmptyValue = int.MaxValue; // an empty slot is never due
    private const ulong EmptyKey = 0;             // user id 0 is never valid (PROTOCOL.md)
    private const double MaxLoad = 0.85;
    private const double Growth = 1.3;
    private const long RebaseAfterMs = 1L << 30;  // ~12 days of offsets, well inside an int
    private const int BlockShift = 6;             // 64 slots a block

    private NativeBlock _table;
    private Slot* _slots;
    private int _capacity;
    private int[] _blockEarliest = []; // per block of 64 slots, a lower bound of its times (EmptyValue: none)
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
            if (value > _slots[slot].Value)
                _slots[slot].Value = value;
            GC.KeepAlive(this);
            return;
        }
        if (_count + 1 > _capacity * MaxLoad)
        {
            Grow();
            slot = Find(userId, out _);
        }
        _slots[slot] = new Slot(userId, value);
        LowerBlockBound(slot, value);
        _count++;
        _earliestLowerBound = Math.Min(_earliestLowerBound, _baseMs + value);
        GC.KeepAlive(this); // the table is freed by its finalizer only once nobody reads it
    }

    public bool TryGet(ulong userId, out long receiveMs)
    {
        int slot = Find(userId, out bool found);
        receiveMs = found ? _baseMs + _slots[slot].Value : 0;
        GC.KeepAlive(this);
        return found;
    }

    /// <summary>
    /// Asks the processor to bring the user's home slot into the cache (a hint, no effect on the
    /// table): a caller that will look up many users in turn asks a few ahead, so their misses overlap.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(ulong userId)
    {
        if (Sse.IsSupported)
            Sse.Prefetch0(_slots + Home(userId));
        GC.KeepAlive(this);
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
            ulong key = _slots[next].Key;
            if (key == EmptyKey)
                break;
            int home = Home(key);
            bool stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
            if (stays)
                continue;
            _slots[hole] = _slots[next];
            LowerBlockBound(hole, _slots[hole].Value);
            hole = next;
        }
        _slots[hole] = new Slot(EmptyKey, EmptyValue);
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
        var slots = new ReadOnlySpan<Slot>(_slots, _capacity);
        var blocks = _blockEarliest.AsSpan();
        int added = 0;
        for (int block = 0; ;)
        {
            int found = blocks[block..].IndexOfAnyInRange(0, limit); // the next block that may hold a due user
            if (found < 0)
                break;
            block += found;
            int start = block << BlockShift;
            int end = Math.Min(start + (1 << BlockShift), slots.Length);
            int earliest = EmptyValue;
            for (int i = start; i < end; i++)
            {
                int v = slots[i].Value;
                if (v < earliest)
                    earliest = v;
                if (v <= limit && added < max && (skip is null || !skip(slots[i].Key)))
                {
                    due.Add(new TrackedUser(slots[i].Key, _baseMs + v));
                    added++;
                }
            }
            blocks[block] = earliest; // exact now; due users stay tracked until their check is resolved, so still in it
            if (++block == blocks.Length)
                break;
        }
        int least = System.Linq.Enumerable.Min(_blockEarliest); // never empty here: a tracker that holds users has blocks
        _earliestLowerBound = least == EmptyValue ? long.MaxValue : _baseMs + least;
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
            ulong key = _slots[slot].Key;
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

    private TrackedUser? Read(int slot) => _slots[slot].Key == EmptyKey ? null : new TrackedUser(_slots[slot].Key, _baseMs + _slots[slot].Value);

    /// <summary>Keeps the block's bound at or below a time just put in one of its slots.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void LowerBlockBound(int slot, int value)
    {
        ref int bound = ref _blockEarliest[slot >> BlockShift];
        if (value < bound)
            bound = value;
    }

    /// <summary>Fibonacci hashing, reduced to the table's (any) length by a multiply-high.</summary>
    private int Home(ulong userId) => (int)Math.BigMul(userId * 0x9E3779B97F4A7C15UL, (ulong)_capacity, out _);

    /// <summary>A table of <paramref name="capacity"/> empty slots, made the tracker's own.</summary>
    private NativeBlock Allocate(int capacity)
    {
        var table = new NativeBlock((nuint)capacity * (nuint)sizeof(Slot));
        _slots = (Slot*)table.Address;
        _capacity = capacity;
        new Span<Slot>(_slots, capacity).Fill(new Slot(EmptyKey, EmptyValue));
        _blockEarliest = new int[(capacity + (1 << BlockShift) - 1) >> BlockShift];
        _blockEarliest.AsSpan().Fill(EmptyValue);
        return table;
    }

    private void Grow()
    {
        var old = _table;
        Slot* slots = _slots;
        int oldCapacity = _capacity;
        _table = Allocate((int)Math.Min(Array.MaxLength, Math.Max(16L, (long)(oldCapacity * Growth))));
        for (int i = 0; i < oldCapacity; i++)
        {
            if (slots[i].Key == EmptyKey)
                continue;
            int slot = Find(slots[i].Key, out _);
            _slots[slot] = slots[i];
            LowerBlockBound(slot, slots[i].Value);
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
            if (_slots[i].Key != EmptyKey)
                _slots[i].Value = (int)Math.Max(0, _slots[i].Value - shift);
        }
        foreach (ref int bound in _blockEarliest.AsSpan())
        {
            if (bound != EmptyValue)
                bound = (int)Math.Max(0, bound - shift);
        }
        _baseMs = newBase; // absolute times only moved forward for clamped users: the lower bound still holds
    }

    /// <summary>One slot: the user id (0: empty) and its time beside it, 12 bytes with no padding.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct Slot(ulong key, int value)
    {
        public ulong Key = key;
        public int Value = value;
    }
}
