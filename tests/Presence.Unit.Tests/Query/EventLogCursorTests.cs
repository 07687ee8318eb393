using Presence.Core.Events;
using Presence.Query.Internal.Events;

namespace Presence.Unit.Tests.Query;

/// <summary>
/// The events feed's decisions (<see cref="EventLogCursor"/>): following the log read by read,
/// holes, a replaced or shrunk or trimmed log, and where a stream resuming after a position takes
/// its lines from (every position the node cannot serve is answered with a snapshot).
/// </summary>
public sealed class EventLogCursorTests
{
    private static EventLogLine Line(long seq, ulong user = 1) => new(seq, seq % 2 == 1 ? TransitionKind.Online : TransitionKind.Signout, user, 1_000 + seq);

    /// <summary>What the store's read script answers after <paramref name="after"/> when the log holds first..last (page of <paramref name="max"/>).</summary>
    private static EventLogRead Read(string epoch, long first, long last, long after, int max = 100, Func<long, bool>? parses = null)
    {
        var entries = new List<EventLogLine>();
        long readTo = after;
        if (after < last && after >= first - 1)
        {
            for (long seq = after + 1; seq <= Math.Min(last, after + max); seq++)
            {
                if (parses?.Invoke(seq) ?? true)
                    entries.Add(Line(seq, (ulong)(seq % 3 + 1)));
                readTo = seq;
            }
        }
        return new EventLogRead(epoch, last, first, entries, readTo);
    }

    private static (EventLogCursor Cursor, List<EventLogLine> Dispatched) Started(string epoch, long first, long last, int capacity = 100)
    {
        var cursor = new EventLogCursor(capacity);
        var dispatched = new List<EventLogLine>();
        Assert.Equal(FeedStep.Started, cursor.Apply(Read(epoch, first, last, 0), dispatched.Add));
        return (cursor, dispatched);
    }

    private static FeedStep ReadToEnd(EventLogCursor cursor, string epoch, long first, long last, List<EventLogLine> dispatched, int max = 100)
    {
        FeedStep step;
        int reads = 0;
        do
        {
            step = cursor.Apply(Read(epoch, first, last, cursor.Position, max), dispatched.Add);
            Assert.True(++reads < 1000, "the cursor reaches the end");
        }
        while (step == FeedStep.More);
        return step;
    }

    [Fact]
    public void FirstRead_Started_LoadsWhatTheStoreHolds_UpToTheRingsCapacity()
    {
        var (cursor, dispatched) = Started("e1", first: 11, last: 40);
        Assert.Equal(("e1", 10L, 40L), (cursor.Epoch, cursor.Position, cursor.StoreLast));
        Assert.Empty(dispatched); // nobody subscribes before the first read
        Assert.Equal(FeedStep.AtEnd, ReadToEnd(cursor, "e1", 11, 40, dispatched, max: 7));
        Assert.Equal(40, cursor.Position);
        Assert.Equal(Enumerable.Range(11, 30).Select(i => (long)i), dispatched.Select(l => l.Seq));
        Assert.True(cursor.Ring.Covers(10)); // a stream may resume from before the oldest line the store holds

        // A ring smaller than the log: it starts where it can hold every line to the end.
        var (small, _) = Started("e1", first: 11, last: 40, capacity: 8);
        Assert.Equal(32, small.Position);
    }

    [Fact]
    public void Apply_PageByPage_MoreUntilTheEnd_InOrder_NothingTwice()
    {
        var (cursor, dispatched) = Started("e1", first: 1, last: 0);
        Assert.Equal(0, cursor.Position);
        Assert.Equal(FeedStep.More, cursor.Apply(Read("e1", 1, 5, 0, max: 3), dispatched.Add));
        Assert.Equal(3, cursor.Position);
        Assert.Equal(FeedStep.AtEnd, cursor.Apply(Read("e1", 1, 5, 3, max: 3), dispatched.Add));
        Assert.Equal(FeedStep.AtEnd, cursor.Apply(Read("e1", 1, 5, 5, max: 3), dispatched.Add)); // nothing new
        Assert.Equal([1L, 2, 3, 4, 5], dispatched.Select(l => l.Seq));
        Assert.Equal((5L, 5L), (cursor.Position, cursor.StoreLast));
    }

    [Fact]
    public void Apply_LineThatDidNotParse_HoleSkipped_NotDispatched_PositionPastIt()
    {
        var (cursor, dispatched) = Started("e1", first: 1, last: 0);
        // Lines 3 and 6 (the last one read) did not parse: the read still reached 6.
        Assert.Equal(FeedStep.AtEnd, cursor.Apply(Read("e1", 1, 6, 0, parses: seq => seq is not 3 and not 6), dispatched.Add));
        Assert.Equal([1L, 2, 4, 5], dispatched.Select(l => l.Seq));
        Assert.Equal(6, cursor.Position);
        Assert.Equal(6, cursor.Ring.LastSeq);
        var caught = new List<StreamItem>();
        cursor.Ring.Collect(0, [0, 1, 2, 3], caught); // even a watcher of id 0 (no id a client can send) gets no hole
        Assert.Equal([1L, 2, 4, 5], caught.Select(i => i.Line.Seq)); // the holes are no lines

        Assert.Equal(FeedStep.AtEnd, cursor.Apply(Read("e1", 1, 7, 6), dispatched.Add));
        Assert.Equal(7, dispatched[^1].Seq);
    }

    [Theory]
    [InlineData("e2", 1, 3)]    // another epoch: the store lost its data
    [InlineData("e1", 1, 15)]   // the same epoch, but shorter than the feed's position: the store lost its last lines
    [InlineData("e1", 30, 60)]  // lines after the position were trimmed before the feed read them
    public void Apply_LogReplacedShrunkOrTrimmedPastThePosition_Restarted_AtTheNewEnd_NothingDispatched(string epoch, long first, long last)
    {
        var (cursor, dispatched) = Started("e1", first: 1, last: 0);
        ReadToEnd(cursor, "e1", 1, 20, dispatched);
        dispatched.Clear();

        Assert.Equal(FeedStep.Restarted, cursor.Apply(Read(epoch, first, last, 20), dispatched.Add));
        Assert.Empty(dispatched);
        Assert.Equal(epoch, cursor.Epoch);
        Assert.Equal(first - 1, cursor.Position);
        Assert.Equal(last, cursor.StoreLast);
        Assert.Equal(ResumeFrom.Ring, cursor.Locate(epoch, first - 1, 0));
        Assert.Equal(FeedStep.AtEnd, ReadToEnd(cursor, epoch, first, last, dispatched));
        Assert.Equal(Enumerable.Range((int)first, (int)(last - first + 1)).Select(i => (long)i), dispatched.Select(l => l.Seq));
    }

    [Fact]
    public void Locate_BeforeTheFirstRead_Unknown()
    {
        var cursor = new EventLogCursor(10);
        Assert.Equal(ResumeFrom.Unknown, cursor.Locate("e1", 0, 0));
        Assert.Equal(ResumeFrom.Unknown, cursor.Locate("e1", 5, 5));
    }

    [Fact]
    public void Locate_EveryPositionTheNodeCannotServe_NotRingNorAhead()
    {
        var (cursor, dispatched) = Started("e1", first: 1, last: 0, capacity: 10);
        ReadToEnd(cursor, "e1", 1, 30, dispatched); // the ring holds 21..30

        Assert.Equal(ResumeFrom.Ring, cursor.Locate("e1", 30, 0));                // the end: nothing to catch up
        Assert.Equal(ResumeFrom.Ring, cursor.Locate("e1", 20, 0));                // the oldest position the ring serves
        Assert.Equal(ResumeFrom.Unknown, cursor.Locate("e1", 19, 0));             // older than the ring: line 20 is gone
        Assert.Equal(ResumeFrom.Unknown, cursor.Locate("e1", 0, 0));
        Assert.Equal(ResumeFrom.Unknown, cursor.Locate("e0", 25, 0));             // another epoch, whatever its number
        Assert.Equal(ResumeFrom.Unknown, cursor.Locate("e1-x", 25, 0));
        Assert.Equal(ResumeFrom.Unknown, cursor.Locate("e1", -1, 0));
        Assert.Equal(ResumeFrom.PastEnd, cursor.Locate("e1", 31, 0));             // past the log's end as far as known
        Assert.Equal(ResumeFrom.PastEnd, cursor.Locate("e1", long.MaxValue, 0));
        Assert.Equal(ResumeFrom.PastEnd, cursor.Locate("e1", 31, 30));            // the store says its end is 30: not a position
    }

    [Fact]
    public void Locate_FeedBehindTheStore_PositionTheStoreHas_Ahead_NeverPastEnd()
    {
        var (cursor, dispatched) = Started("e1", first: 1, last: 0);
        cursor.Apply(Read("e1", 1, 50, 0, max: 10), dispatched.Add); // read 1..10 of 50
        Assert.Equal((10L, 50L), (cursor.Position, cursor.StoreLast));

        Assert.Equal(ResumeFrom.Ring, cursor.Locate("e1", 10, 0));
        Assert.Equal(ResumeFrom.Ahead, cursor.Locate("e1", 11, 0));  // the feed's own read saw the store reach 50
        Assert.Equal(ResumeFrom.Ahead, cursor.Locate("e1", 50, 0));
        Assert.Equal(ResumeFrom.PastEnd, cursor.Locate("e1", 51, 0));
        Assert.Equal(ResumeFrom.Ahead, cursor.Locate("e1", 51, 60)); // the caller read the store's end since: 60
        Assert.Equal(ResumeFrom.PastEnd, cursor.Locate("e1", 61, 60));
    }

    [Fact]
    public void StoreLast_FollowsTheLatestRead_EvenWhenTheStoreHasLessThanBefore()
    {
        var (cursor, dispatched) = Started("e1", first: 1, last: 0);
        cursor.Apply(Read("e1", 1, 50, 0, max: 10), dispatched.Add);
        Assert.Equal(50, cursor.StoreLast);
        // The store lost lines 31..50 (still after the feed's position): a position there is no longer one.
        cursor.Apply(Read("e1", 1, 30, 10, max: 10), dispatched.Add);
        Assert.Equal(30, cursor.StoreLast);
        Assert.Equal(ResumeFrom.PastEnd, cursor.Locate("e1", 40, 0));
    }
}
