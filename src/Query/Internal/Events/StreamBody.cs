using System.IO.Pipelines;

namespace Presence.Query.Internal.Events;

/// <summary>
/// What one kind of stream writes (<see cref="StreamLoop"/> runs it): its start, its events, and
/// what it does at a marker in its queue. An id stream (<see cref="IdStreamBody"/>) writes the log's
/// lines as they are; a group stream (<see cref="GroupStreamBody"/>) counts them and follows the
/// group's membership.
/// </summary>
internal abstract class StreamBody(Subscriber subscriber, Debouncer? debouncer)
{
    /// <summary>The registration whose queue the loop reads; a marker's handling may replace it.</summary>
    public Subscriber Subscriber { get; protected set; } = subscriber;

    /// <summary>The stream's debounce, or null for a plain stream; replaced with <see cref="Subscriber"/>.</summary>
    public Debouncer? Debouncer { get; protected set; } = debouncer;

    /// <summary>Whether a registration of this stream overflowed (the stream ends; the client resumes).</summary>
    public virtual bool Overflowed => Subscriber.Overflowed;

    /// <summary>Writes what the stream starts with: a snapshot, or the empty line of a resumed stream, then its catch-up.</summary>
    public abstract void WriteStart(PipeWriter output);

    /// <summary>Writes <paramref name="deliveries"/> (the stream's order) and empties the list; whether anything was written.</summary>
    public abstract bool Write(PipeWriter output, List<Delivery> deliveries, bool live);

    /// <summary>
    /// Handles a <see cref="StreamItemKind.Resync"/> or <see cref="StreamItemKind.Membership"/> marker read from
    /// <see cref="Subscriber"/>'s queue (the lines before it are written); whether it wrote anything.
    /// </summary>
    public abstract Task<bool> HandleAsync(StreamItemKind marker, PipeWriter output, CancellationToken stop);

    /// <summary>Takes every registration of this stream off the feed (its end).</summary>
    public virtual void Unregister(EventFeed feed) => feed.Unregister(Subscriber);
}
