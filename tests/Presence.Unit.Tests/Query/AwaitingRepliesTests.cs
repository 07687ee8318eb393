using Presence.Query.Internal.Store;

namespace Presence.Unit.Tests.Query;

/// <summary>
/// The reads a connection waits on (<see cref="AwaitingReplies"/>): replies go to the oldest, a
/// timed-out read keeps its place until its reply comes, and a break takes them all.
/// </summary>
public sealed class AwaitingRepliesTests
{
    [Fact]
    public void TakeOldest_InTheOrderAdded_NullOnceEmpty()
    {
        var awaiting = new AwaitingReplies();
        var (first, second) = (Read(10), Read(20));
        awaiting.Add(first);
        awaiting.Add(second);

        Assert.Same(first, awaiting.TakeOldest());
        Assert.Same(second, awaiting.TakeOldest());
        Assert.Null(awaiting.TakeOldest()); // a reply to nothing that was asked
    }

    [Fact]
    public void Overdue_DeadlineAtOrBeforeNow_SkipsEndedReads_AllStayQueued()
    {
        var awaiting = new AwaitingReplies();
        var reads = new[] { Read(10), Read(20), Read(30), Read(40) };
        foreach (var read in reads)
            awaiting.Add(read);
        reads[1].TryComplete(StoreStatus.TimedOut); // timed out on an earlier tick

        Assert.Null(awaiting.Overdue(now: 9));
        Assert.Equal([reads[0], reads[2]], awaiting.Overdue(now: 30)!);
        Assert.Equal(4, awaiting.Count); // their late replies must still find them
        Assert.Same(reads[0], awaiting.TakeOldest());
    }

    [Fact]
    public void Overdue_StopsAtTheFirstReadNotDue()
    {
        // Deadlines grow along the queue (one timeout, reads queued in order): the scan of a tick
        // stops at the first read not due instead of walking up to 65,536 reads.
        var awaiting = new AwaitingReplies();
        var reads = new[] { Read(10), Read(50), Read(20) };
        foreach (var read in reads)
            awaiting.Add(read);

        Assert.Equal([reads[0]], awaiting.Overdue(now: 30)!);
    }

    [Fact]
    public void TakeAll_EveryRead_OldestFirst_NoneLeft()
    {
        var awaiting = new AwaitingReplies();
        var reads = new[] { Read(10), Read(20), Read(30) };
        foreach (var read in reads)
            awaiting.Add(read);
        reads[0].TryComplete(StoreStatus.TimedOut);

        Assert.Equal(reads, awaiting.TakeAll()); // ended ones too: failing them again does nothing
        Assert.Equal(0, awaiting.Count);
        Assert.Null(awaiting.TakeOldest());
    }

    private static ReadRequest Read(long deadline) => new(ReadKind.Get, new long[1], 1, deadline);
}
