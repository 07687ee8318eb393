namespace Presence.LoadGen.Internal;

/// <summary>
/// When each slot was sent, kept as a ring of checkpoints (slots built so far, Unix ms) instead of
/// a time per user: the verifier derives every user's latest heartbeat from it. The sender adds a
/// checkpoint every <see cref="Spacing"/>; the ring holds enough of them to reach back one TTL.
/// </summary>
internal sealed class SlotClock
{
    /// <summary>Between checkpoints: the error of a derived send time (it errs early, never late).</summary>
    public static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(100);

    private readonly long[] _slots;
    private readonly long[] _times;
    private int _count;
    private int _head; // where the next checkpoint goes

    /// <param name="span">How far back send times must be known (the verifier's TTL).</param>
    public SlotClock(TimeSpan span)
    {
        int capacity = (int)Math.Ceiling((span + TimeSpan.FromSeconds(5)) / Spacing) + 1;
        _slots = new long[capacity];
        _times = new long[capacity];
    }

    public int Capacity => _slots.Length;

    /// <summary>Records that before <paramref name="unixMs"/>, exactly <paramref name="slotsBuilt"/> slots had been built.</summary>
    public void Add(long slotsBuilt, long unixMs)
    {
        _slots[_head] = slotsBuilt;
        _times[_head] = unixMs;
        _head = (_head + 1) % _slots.Length;
        if (_count < _slots.Length)
            _count++;
    }

    /// <summary>
    /// A time at or before which slot <paramref name="slot"/> was sent: the latest checkpoint that
    /// had not yet built it. Null when the ring no longer reaches back that far.
    /// </summary>
    public long? SentNotBefore(long slot)
    {
        // Checkpoints ascend in slots and time: binary search for the last one at or below the slot.
        int lo = 0, hi = _count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_slots[Physical(mid)] <= slot)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found < 0 ? null : _times[Physical(found)];
    }

    /// <summary>Where the <paramref name="logical"/>-th oldest checkpoint is in the ring.</summary>
    private int Physical(int logical) => (_head - _count + logical + _slots.Length) % _slots.Length;
}
