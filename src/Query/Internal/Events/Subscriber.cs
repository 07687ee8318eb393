using System.Threading.Channels;
using Presence.Core.Events;

namespace Presence.Query.Internal.Events;

/// <summary>
/// One open event stream: the ids it watches and a bounded queue of the log lines about them that
/// the feed hands it (and of its resync markers). A subscriber too slow to take its lines (the queue full) is ended at once,
/// what was still queued dropped; the client reconnects with the last id it received and resumes
/// from the node's ring, so nothing is lost and a slow client never holds the node's memory hostage.
/// </summary>
internal sealed class Subscriber
{
    /// <summary>Lines queued at most: far more than a client sees in the time a healthy connection needs to take them.</summary>
    public const int QueueCapacity = 4096;

    private readonly Channel<StreamItem> _queue = Channel.CreateBounded<StreamItem>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        SingleWriter = true, // the feed, under its lock
        FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails, and the stream is ended
    });

    private readonly CancellationTokenSource? _endOnOverflow;

    /// <param name="sortedDistinctIds">The watched ids, sorted, each once.</param>
    /// <param name="endOnOverflow">
    /// Cancelled (off the feed's lock, on the thread pool) when the queue overflows: the stream's
    /// writer may be blocked on a client that reads nothing, and must end now, not once that client
    /// has read what was queued.
    /// </param>
    public Subscriber(ulong[] sortedDistinctIds, CancellationTokenSource? endOnOverflow = null)
    {
        Ids = sortedDistinctIds;
        _endOnOverflow = endOnOverflow;
    }

    /// <summary>The watched ids, sorted, each once.</summary>
    public ulong[] Ids { get; }

    /// <summary>Lines up to this sequence number are already in the snapshot or catch-up; the feed skips them. Set under the feed's lock.</summary>
    public long LiveAfter { get; set; }

    /// <summary>The queue overflowed and was closed.</summary>
    public bool Overflowed { get; private set; }

    public ChannelReader<StreamItem> Queue => _queue.Reader;

    /// <summary>Called by the feed, under its lock, for each line about one of <see cref="Ids"/>, read at <paramref name="readMs"/>.</summary>
    public void Offer(in EventLogLine entry, long readMs = 0)
    {
        if (entry.Seq <= LiveAfter || Overflowed)
            return;
        Enqueue(StreamItem.Of(entry, readMs));
    }

    /// <summary>Called by the feed, under its lock, when the log was replaced.</summary>
    public void RequestResync()
    {
        if (!Overflowed)
            Enqueue(StreamItem.Resync);
    }

    /// <summary>Called by the feed, under its lock, when a group stream's membership may have changed.</summary>
    public void RequestMembership()
    {
        if (!Overflowed)
            Enqueue(StreamItem.Membership);
    }

    private void Enqueue(in StreamItem item)
    {
        if (_queue.Writer.TryWrite(item))
            return;
        Overflowed = true;
        _queue.Writer.TryComplete();
        if (_endOnOverflow is not null)
            ThreadPool.UnsafeQueueUserWorkItem(static end => Cancel(end), _endOnOverflow, preferLocal: false);
    }

    private static void Cancel(CancellationTokenSource end)
    {
        try
        {
            end.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The stream ended meanwhile.
        }
    }
}
