using Presence.Core.Events;

namespace Presence.Query.Internal.Events;

/// <summary>
/// The feed's place in the events log and the decisions that follow from it, apart from the store
/// and the subscribers: which log it follows (<see cref="Epoch"/>), the last line it read
/// (<see cref="Position"/>), the last line the store had when last read (<see cref="StoreLast"/>),
/// and the ring of recent lines. Not thread-safe: the feed's lock guards it.
/// </summary>
internal sealed class EventLogCursor(int ringCapacity)
{
    public EventRing Ring { get; } = new(ringCapacity);

    /// <summary>The epoch of the log followed, or null before the first read.</summary>
    public string? Epoch { get; private set; }

    /// <summary>The last line read and handed out (the ring's last line).</summary>
    public long Position { get; private set; }

    /// <summary>The log's last sequence number as the latest read saw it (at least <see cref="Position"/>).</summary>
    public long StoreLast { get; private set; }

    /// <summary>
    /// Takes one read of the log made after <see cref="Position"/>: its lines go into the ring and
    /// to <paramref name="dispatch"/>, in order. A line that did not parse (none does, from the
    /// scripts) leaves a hole in the ring (<see cref="StreamItemKind.Hole"/>), which no stream is sent.
    /// When the read shows another epoch, a log shorter than the position (a store that lost its
    /// last lines) or lines trimmed before they were read, the cursor starts again at the log's
    /// end (keeping room for what the ring holds) and dispatches nothing.
    /// </summary>
    /// <param name="readMs">When this node read it (<see cref="StreamItem.ReadMs"/>), kept in the ring with each line.</param>
    public FeedStep Apply(EventLogRead read, Action<EventLogLine> dispatch, long readMs = 0)
    {
        long after = Position;
        if (Epoch != read.Epoch || read.LastSeq < after || after < read.FirstSeq - 1)
        {
            bool first = Epoch is null;
            Epoch = read.Epoch;
            Position = Math.Max(read.FirstSeq - 1, read.LastSeq - Ring.Capacity);
            StoreLast = read.LastSeq;
            Ring.Reset(Position);
            return first ? FeedStep.Started : FeedStep.Restarted;
        }
        foreach (var entry in read.Entries)
        {
            while (Ring.LastSeq + 1 < entry.Seq)
                Ring.AppendHole(readMs);
            Ring.Append(entry, readMs);
            dispatch(entry);
        }
        Position = read.ReadTo;
        while (Ring.LastSeq < Position)
            Ring.AppendHole(readMs);
        StoreLast = Math.Max(read.LastSeq, Position); // the latest read is the truth, even if a store lost lines the feed had not read
        return read.ReadTo == after || Position >= read.LastSeq ? FeedStep.AtEnd : FeedStep.More;
    }

    /// <summary>
    /// Where a stream of <paramref name="epoch"/> starting after <paramref name="afterSeq"/> takes its
    /// lines from. <paramref name="storeLast"/> is a last sequence number the caller has from the
    /// store itself for that epoch (a snapshot's, or a read of the log's end; 0 when it has none):
    /// a position past both it and <see cref="StoreLast"/> is <see cref="ResumeFrom.PastEnd"/>.
    /// </summary>
    public ResumeFrom Locate(string epoch, long afterSeq, long storeLast)
    {
        if (Epoch is null || Epoch != epoch || afterSeq < 0)
            return ResumeFrom.Unknown;
        if (Ring.Covers(afterSeq))
            return ResumeFrom.Ring;
        if (afterSeq > Ring.LastSeq)
            return afterSeq <= Math.Max(StoreLast, storeLast) ? ResumeFrom.Ahead : ResumeFrom.PastEnd;
        return ResumeFrom.Unknown; // older than the ring holds
    }
}
