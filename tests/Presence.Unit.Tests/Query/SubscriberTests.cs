using Presence.Core.Events;
using Presence.Query.Internal.Events;

namespace Presence.Unit.Tests.Query;

public sealed class SubscriberTests
{
    [Fact]
    public void Offer_AtOrBeforeLiveAfter_Skipped_LaterQueuedInOrder()
    {
        var subscriber = new Subscriber([1, 2]) { LiveAfter = 10 };
        subscriber.Offer(Line(9));
        subscriber.Offer(Line(10));
        subscriber.Offer(Line(11));
        subscriber.Offer(Line(12));
        Assert.Equal([11L, 12], Drain(subscriber).Select(l => l.Line.Seq));
        Assert.False(subscriber.Overflowed);
    }

    [Fact]
    public void Offer_QueueFull_OverflowsAndCompletesTheQueue_KeepingWhatWasQueued()
    {
        var subscriber = new Subscriber([1]);
        for (int i = 1; i <= Subscriber.QueueCapacity; i++)
            subscriber.Offer(Line(i));
        Assert.False(subscriber.Overflowed);

        subscriber.Offer(Line(Subscriber.QueueCapacity + 1));
        Assert.True(subscriber.Overflowed);
        subscriber.Offer(Line(Subscriber.QueueCapacity + 2)); // ignored once overflowed
        subscriber.RequestResync(); // ignored too: the stream is ending

        var lines = Drain(subscriber);
        Assert.Equal(Enumerable.Range(1, Subscriber.QueueCapacity).Select(i => (long)i), lines.Select(l => l.Line.Seq));
        Assert.True(subscriber.Queue.Completion.IsCompleted); // the stream sees its end once it has read what was queued
    }

    [Fact]
    public async Task Offer_QueueFull_CancelsTheStreamsEnd_SoAWriterBlockedOnTheClientStopsNow()
    {
        using var end = new CancellationTokenSource();
        var subscriber = new Subscriber([1], end);
        for (int i = 1; i <= Subscriber.QueueCapacity; i++)
            subscriber.Offer(Line(i));
        Assert.False(end.IsCancellationRequested);

        subscriber.Offer(Line(Subscriber.QueueCapacity + 1));
        // Cancelled off the caller's thread (the feed holds its lock while offering).
        var cancelled = new TaskCompletionSource();
        using var registration = end.Token.Register(() => cancelled.TrySetResult());
        Assert.Same(cancelled.Task, await Task.WhenAny(cancelled.Task, Task.Delay(TimeSpan.FromSeconds(30))));
    }

    [Fact]
    public void Offer_QueueFull_AfterTheStreamEnded_NothingThrows()
    {
        var end = new CancellationTokenSource();
        var subscriber = new Subscriber([1], end);
        end.Dispose();
        for (int i = 1; i <= Subscriber.QueueCapacity + 1; i++)
            subscriber.Offer(Line(i));
        Assert.True(subscriber.Overflowed);
    }

    [Fact]
    public void RequestResync_QueuesTheMarkerAfterEarlierLines()
    {
        var subscriber = new Subscriber([1]);
        subscriber.Offer(Line(1));
        subscriber.RequestResync();
        var lines = Drain(subscriber);
        Assert.Equal([StreamItem.Of(Line(1), 0), StreamItem.Resync], lines);
        Assert.Equal(StreamItemKind.Resync, lines[1].Kind); // what the stream tests for
        Assert.False(subscriber.Queue.Completion.IsCompleted);
    }

    [Fact]
    public void RequestResync_QueueFull_Overflows()
    {
        var subscriber = new Subscriber([1]);
        for (int i = 1; i <= Subscriber.QueueCapacity; i++)
            subscriber.Offer(Line(i));
        subscriber.RequestResync();
        Assert.True(subscriber.Overflowed);
    }

    private static EventLogLine Line(long seq) => new(seq, TransitionKind.Online, 1, seq);

    private static List<StreamItem> Drain(Subscriber subscriber)
    {
        var lines = new List<StreamItem>();
        while (subscriber.Queue.TryRead(out var line))
            lines.Add(line);
        return lines;
    }
}
