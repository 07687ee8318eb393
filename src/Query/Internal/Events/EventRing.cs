using System.Diagnostics;
using Presence.Core.Events;

namespace Presence.Query.Internal.Events;

/// <summary>
/// The latest lines of the events log, in memory, by sequence number, each with the time this node
/// read it: what lets a stream resume from a <c>Last-Event-ID</c> without reading the store, on any
/// node that has read that far (on start a node loads what the store still holds). Holds at most its
/// capacity; the oldest lines make room. Not thread-safe: the feed's lock guards it.
/// </summary>
internal sealed class EventRing(int capacity)
{
    private readonly StreamItem[] _items = new StreamItem[capacity];
    private long _oldest = 1; // sequence number of the oldest line held
    private long _next = 1;   // sequence number the next line must have
    private bool _dropped;    // a line was pushed out since the last reset

    public int Capacity => _items.Length;

    public int Count => (int)(_next - _oldest);

    /// <summary>The last sequence number seen (0 before any).</summary>
    public long LastSeq => _next - 1;

    /// <summary>Empties the ring; the next line expected is <paramref name="lastSeq"/> + 1.</summary>
    public void Reset(long lastSeq)
    {
        _oldest = _next = lastSeq + 1;
        _dropped = false;
    }

    public void Append(in EventLogLine entry, long readMs = 0)
    {
        Debug.Assert(entry.Seq == _next, "lines are appended in order, without gaps");
        Put(StreamItem.Of(entry, readMs));
    }

    /// <summary>Holds the next sequence number as a hole: a line read that did not parse, which no stream is sent.</summary>
    public void AppendHole(long readMs = 0) => Put(StreamItem.Hole(readMs));

    private void Put(in StreamItem item)
    {
        _items[_next % _items.Length] = item;
        _next++;
        if (_next - _oldest > _items.Length)
        {
            _oldest = _next - _items.Length;
            _dropped = true;
        }
    }

    /// <summary>Whether every line after <paramref name="afterSeq"/> up to the last is held.</summary>
    public bool Covers(long afterSeq) => afterSeq >= _oldest - 1 && afterSeq <= LastSeq;

    /// <summary>
    /// Whether the ring holds every line this node read at or after <paramref name="readMs"/>: its
    /// oldest line was read no later, or no line was pushed out since the ring (re)started (the
    /// lines before it were never read here, and every computation over the ring misses them alike).
    /// </summary>
    public bool HoldsReadsSince(long readMs) => !_dropped || (Count > 0 && At(_oldest).ReadMs <= readMs);

    /// <summary>When the line <paramref name="seq"/> (held) was read.</summary>
    public long ReadMsOf(long seq)
    {
        Debug.Assert(seq >= _oldest && seq < _next);
        return At(seq).ReadMs;
    }

    /// <summary>The sequence number of the oldest line held (the next one expected when empty).</summary>
    public long OldestSeq => _oldest;

    /// <summary>The first sequence number held that was read at or after <paramref name="readMs"/> (reads never go backwards), or the next expected.</summary>
    public long FirstReadAtOrAfter(long readMs)
    {
        long lo = _oldest, hi = _next; // answer in [lo, hi]
        while (lo < hi)
        {
            long mid = lo + ((hi - lo) / 2);
            if (At(mid).ReadMs < readMs)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    private ref readonly StreamItem At(long seq) => ref _items[seq % _items.Length];

    /// <summary>Adds the lines after <paramref name="afterSeq"/> about any of <paramref name="sortedIds"/>, in order, with their read times.</summary>
    public void Collect(long afterSeq, ulong[] sortedIds, List<StreamItem> into)
    {
        Debug.Assert(Covers(afterSeq));
        for (long seq = afterSeq + 1; seq < _next; seq++)
        {
            ref readonly var item = ref At(seq);
            if (item.IsLine && Array.BinarySearch(sortedIds, item.Line.UserId) >= 0)
                into.Add(item);
        }
    }
}
