namespace Presence.Query.Internal.Store;

/// <summary>
/// The reads a <see cref="ReadConnection"/> has sent (or is about to send), oldest first: the store
/// answers in order, so each reply belongs to the oldest read here. A read that ended early (timed
/// out) stays until its reply comes and is dropped with it, so the replies after it still find
/// their reads. Not thread-safe: the connection's lock guards it together with the send buffer, so
/// reads queue here in the order their commands leave.
/// </summary>
internal sealed class AwaitingReplies
{
    private readonly Queue<ReadRequest> _reads = new();

    public int Count => _reads.Count;

    public void Add(ReadRequest request) => _reads.Enqueue(request);

    /// <summary>The read the next reply answers; null when none was asked (a reply to nothing: the stream is broken).</summary>
    public ReadRequest? TakeOldest() => _reads.TryDequeue(out var request) ? request : null;

    /// <summary>Every read, oldest first, and none left here: their replies will never come.</summary>
    public ReadRequest[] TakeAll()
    {
        ReadRequest[] all = [.. _reads];
        _reads.Clear();
        return all;
    }

    /// <summary>
    /// The reads not yet ended whose deadline is at or before <paramref name="now"/>, oldest first;
    /// null when there are none. They stay here: their late replies are still matched, and dropped.
    /// </summary>
    public List<ReadRequest>? Overdue(long now)
    {
        List<ReadRequest>? overdue = null;
        foreach (var request in _reads)
        {
            if (request.IsDone)
                continue;
            if (request.Deadline > now)
                break; // deadlines grow along the queue: one timeout, taken in queue order
            (overdue ??= []).Add(request);
        }
        return overdue;
    }
}
