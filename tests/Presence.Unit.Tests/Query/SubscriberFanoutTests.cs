using Presence.Core.Events;
using Presence.Query.Internal.Events;

namespace Presence.Unit.Tests.Query;

/// <summary>Which subscribers a log line reaches (<see cref="SubscriberFanout"/>): those watching its user, each once.</summary>
public sealed class SubscriberFanoutTests
{
    [Fact]
    public void Offer_ReachesOnlyTheSubscribersWatchingTheLinesUser()
    {
        var fanout = new SubscriberFanout();
        var (a, b, c) = (new Subscriber([1, 2]), new Subscriber([2, 3]), new Subscriber([4]));
        fanout.Add(a);
        fanout.Add(b);
        fanout.Add(c);

        fanout.Offer(Line(1, user: 1));
        fanout.Offer(Line(2, user: 2));
        fanout.Offer(Line(3, user: 3));
        fanout.Offer(Line(4, user: 5)); // nobody watches 5

        Assert.Equal([1L, 2], Seqs(a));
        Assert.Equal([2L, 3], Seqs(b));
        Assert.Empty(Seqs(c));
        Assert.Equal(3, fanout.Count);
    }

    [Fact]
    public void Remove_OneOfSeveralWatchers_TheOthersStillGetTheUsersLines()
    {
        var fanout = new SubscriberFanout();
        var (a, b, c) = (new Subscriber([7]), new Subscriber([7]), new Subscriber([7]));
        fanout.Add(a);
        fanout.Add(b);
        fanout.Add(c);

        Assert.True(fanout.Remove(b));
        fanout.Offer(Line(1, user: 7));
        Assert.True(fanout.Remove(a)); // one watcher left
        fanout.Offer(Line(2, user: 7));

        Assert.Equal([1L], Seqs(a));
        Assert.Empty(Seqs(b));
        Assert.Equal([1L, 2], Seqs(c));
        Assert.Equal(1, fanout.Count);
    }

    [Fact]
    public void Remove_TheLastWatcher_NoneGetsTheUsersLines_RemovingAgainFalse()
    {
        var fanout = new SubscriberFanout();
        var a = new Subscriber([7, 8]);
        fanout.Add(a);

        Assert.True(fanout.Remove(a));
        Assert.False(fanout.Remove(a));
        Assert.False(fanout.Remove(new Subscriber([7]))); // never added
        fanout.Offer(Line(1, user: 7));

        Assert.Empty(Seqs(a));
        Assert.Equal(0, fanout.Count);
    }

    [Fact]
    public void ResyncAll_EverySubscriber_AfterTheLinesQueuedBefore()
    {
        var fanout = new SubscriberFanout();
        var (a, b) = (new Subscriber([1]), new Subscriber([2]));
        fanout.Add(a);
        fanout.Add(b);
        fanout.Offer(Line(1, user: 1));

        fanout.ResyncAll();

        Assert.Equal([StreamItem.Of(Line(1, user: 1), 0), StreamItem.Resync], Drain(a));
        Assert.Equal([StreamItem.Resync], Drain(b));
    }

    private static EventLogLine Line(long seq, ulong user) => new(seq, TransitionKind.Online, user, seq);

    private static List<long> Seqs(Subscriber subscriber) => Drain(subscriber).Select(i => i.Line.Seq).ToList();

    private static List<StreamItem> Drain(Subscriber subscriber)
    {
        var items = new List<StreamItem>();
        while (subscriber.Queue.TryRead(out var item))
            items.Add(item);
        return items;
    }
}
