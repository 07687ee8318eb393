using System.Diagnostics;
using Presence.Core.Events;

namespace Presence.Query.Internal.Events;

/// <summary>
/// The latest lines of the events log, in memory, by sequence number: what lets a stream resume
/// from a <c>Last-Event-ID</c> without reading the store, on any node that has read that far (on
/// start a node loads what the store still holds). Holds at most its capacity; the oldest lines
/// make room. Not thread-safe: the feed's lock guards it.
/// </summary>
internal sealed class EventRing(int capacity)
{
    private readonly StreamItem[] _items = new StreamItem[capacity];
    private long _oldest = 1; // sequence number of the oldest line held
    private long _next = 1;   // sequence number the next line must have

    public int Capacity => _items.Length;

    public int Count => (int)(_next - _oldest);

    /// <summary>The last sequence number seen (0 before any).</summary>
    public long LastSeq => _next - 1;

    /// <summary>Empties the ring; the next line expected is <paramref name="lastSeq"/> + 1.</summary>
    public void Reset(long lastSeq)
    {
        _oldest = _next = lastSeq + 1;
    }

    public void Append(in EventLogLine entry)
    {
        Debug.Assert(entry.Seq == _next, "lines are appended in order, without gaps");
        Put(StreamItem.Of(entry));
    }

    /// <summary>Holds the next sequence number as a hole: a line read that did not parse, which no stream is sent.</summary>
    public void AppendHole() => Put(StreamItem.Hole);

    private void Put(in StreamItem item)
    {
        _items[_next % _items.Length] = item;
        _next++;
        if (_next - _oldest > _items.Length)
            _oldest = _next - _items.Length;
    }

    /// <summary>Whether every line after <paramref name="afterSeq"/> up to the last is held.</summary>
    public bool Covers(long afterSeq) => afterSeq >= _oldest - 1 && afterSeq <= LastSeq;

    /// <summary>Adds the lines after <paramref name="afterSeq"/> about any of <paramref name="sortedIds"/>, in order.</summary>
    public void Collect(long afterSeq, ulong[] sortedIds, List<EventLogLine> into)
    {
        Debug.Assert(Covers(afterSeq));
        for (long seq = afterSeq + 1; seq < _next; seq++)
        {
            ref readonly var item = ref _items[seq % _items.Length];
            if (item.IsLine && Array.BinarySearch(sortedIds, item.Line.UserId) >= 0)
                into.Add(item.Line);
        }
    }
}
