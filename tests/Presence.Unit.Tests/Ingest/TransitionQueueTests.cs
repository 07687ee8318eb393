using Presence.Ingest.Internal.Transitions;

namespace Presence.Unit.Tests.Ingest;

/// <summary>The events appender's queue (<see cref="TransitionQueue{T}"/>): bounded, in order, completion told, and a burst's buffer given back.</summary>
public sealed class TransitionQueueTests
{
    [Fact]
    public void Write_UpToCapacity_InOrder_ThenFull()
    {
        var queue = new TransitionQueue<int>(3);

        Assert.True(queue.TryWrite(1));
        Assert.True(queue.TryWrite(2));
        Assert.True(queue.TryWrite(3));
        Assert.False(queue.TryWrite(4)); // full: the appender holds the transition instead
        Assert.Equal(3, queue.Count);

        Assert.True(queue.TryRead(out int first));
        Assert.True(queue.TryWrite(4)); // room again
        var rest = new List<int>();
        while (queue.TryRead(out int item))
            rest.Add(item);
        Assert.Equal(1, first);
        Assert.Equal([2, 3, 4], rest);
    }

    [Fact]
    public void WritePair_BothOrNeither_NextToEachOther_AcrossTheRingsEnd_PeekLeavesTheItem()
    {
        // A timeout and the relayed online after it (EventLogAppender.EnqueuePair): the reader must never find the first alone.
        var queue = new TransitionQueue<int>(4);
        Assert.True(queue.TryWrite(1));
        Assert.True(queue.TryWrite(2));
        Assert.True(queue.TryWrite(3));
        Assert.False(queue.TryWrite([4, 5])); // room for one: neither goes in
        Assert.Equal(3, queue.Count);
        Assert.True(queue.TryRead(out _));
        Assert.True(queue.TryRead(out _));
        Assert.True(queue.TryWrite([4, 5])); // wraps around the ring's end
        Assert.True(queue.TryPeek(out int peeked));
        Assert.Equal(3, peeked);
        Assert.Equal(3, queue.Count);
        var rest = new List<int>();
        while (queue.TryRead(out int item))
            rest.Add(item);
        Assert.Equal([3, 4, 5], rest);
        Assert.False(queue.TryPeek(out _));
        queue.Complete();
        Assert.False(queue.TryWrite([6, 7]));
    }

    [Fact]
    public void Burst_Drained_ItsBufferGivenBack_ASmallOneKept()
    {
        // A cold start's online burst filled the appender's channel to its 1M transitions (32 MB) and the channel
        // never gave the memory back.
        var queue = new TransitionQueue<long>(1_000_000);
        for (int i = 0; i < 200_000; i++)
            queue.TryWrite(i);
        Assert.True(queue.Allocated >= 200_000);

        while (queue.TryRead(out _))
        {
        }

        Assert.Equal(0, queue.Allocated);
        for (int i = 0; i < 1_000; i++)
            queue.TryWrite(i);
        while (queue.TryRead(out _))
        {
        }
        Assert.True(queue.Allocated >= 1_000, "a trickle's small buffer is kept for the next one");
    }

    [Fact]
    public void BurstOver_ToldOnceWhenABurstIsReadOut_NotForATrickle()
    {
        int told = 0;
        var queue = new TransitionQueue<long>(100_000, () => told++);
        for (int i = 0; i < 1_000; i++)
            queue.TryWrite(i);
        while (queue.TryRead(out _))
        {
        }
        Assert.Equal(0, told); // a trickle: nothing to give back

        for (int i = 0; i <= TransitionQueue<long>.KeepBelow; i++)
            queue.TryWrite(i);
        while (queue.Count > 1)
            queue.TryRead(out _);
        Assert.Equal(0, told); // only once it is empty
        Assert.True(queue.TryRead(out _));
        Assert.Equal(1, told);

        queue.TryWrite(1);
        queue.TryRead(out _);
        Assert.Equal(1, told); // the burst was told once
    }

    [Fact]
    public async Task WaitToRead_ToldWhenAnItemComes_AndFalseOnceCompletedAndEmpty()
    {
        var queue = new TransitionQueue<int>(10);
        var waiting = queue.WaitToReadAsync(CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);

        queue.TryWrite(7);
        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(30)));

        queue.Complete();
        Assert.True(await queue.WaitToReadAsync(CancellationToken.None)); // completed, one item still to read
        Assert.False(queue.TryWrite(8));
        Assert.True(queue.TryRead(out int item));
        Assert.Equal(7, item);
        Assert.False(await queue.WaitToReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task WaitToRead_CompletedWhileWaiting_False_AndCancelledWhenStopped()
    {
        var queue = new TransitionQueue<int>(10);
        var waiting = queue.WaitToReadAsync(CancellationToken.None).AsTask();
        queue.Complete();
        Assert.False(await waiting.WaitAsync(TimeSpan.FromSeconds(30)));

        var other = new TransitionQueue<int>(10);
        using var stop = new CancellationTokenSource();
        var stopped = other.WaitToReadAsync(stop.Token).AsTask();
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stopped);
    }
}
