using System.IO.Pipelines;

namespace Presence.Query.Internal.Events;

/// <summary>
/// An id stream (HTTP-API.md, "Presence events"): the watched users' log lines as they are, each
/// with its event id; after the log was replaced, a new snapshot from a new registration.
/// </summary>
internal sealed class IdStreamBody : StreamBody
{
    private readonly ulong[] _ids;
    private readonly int _debounceSeconds;
    private readonly CancellationTokenSource _end;
    private readonly SseWriter _sse;
    private readonly StreamStart _start;
    private readonly StreamLoop _loop;
    private readonly EventFeed _feed;
    private readonly List<Delivery> _catchUp;
    private readonly string? _idTail;
    private readonly long _heldMs;
    private StreamSnapshot? _snapshot;
    private string _epoch;

    /// <param name="snapshot">The snapshot the stream starts with, or null when it resumes after <paramref name="epoch"/>'s line.</param>
    public IdStreamBody(Subscriber subscriber, Debouncer? debouncer, string epoch, StreamSnapshot? snapshot, List<Delivery> catchUp,
        CancellationTokenSource end, EventFeed feed, SseWriter sse, StreamStart start, StreamLoop loop)
        : base(subscriber, debouncer)
    {
        _ids = subscriber.Ids;
        _debounceSeconds = debouncer?.Seconds ?? 0;
        _epoch = epoch;
        _snapshot = snapshot;
        _catchUp = catchUp;
        _end = end;
        _feed = feed;
        _sse = sse;
        _start = start;
        _loop = loop;
        _idTail = debouncer is null ? null : $"-{feed.Node}-{debouncer.Seconds}";
        _heldMs = _debounceSeconds * 1000L;
    }

    public override void WriteStart(PipeWriter output)
    {
        if (_snapshot is not null)
            _sse.WriteSnapshot(output, SnapshotId(_snapshot, Debouncer, _feed), _snapshot.Ids, _snapshot.LastSeenMs);
        else
            SseWriter.WriteEmptyLine(output);
        WriteAll(output, _catchUp, live: false);
    }

    public override bool Write(PipeWriter output, List<Delivery> deliveries, bool live) => WriteAll(output, deliveries, live);

    /// <summary>The log was replaced: a new snapshot, from a new registration (and nothing held: the snapshot is the state).</summary>
    public override async Task<bool> HandleAsync(StreamItemKind marker, PipeWriter output, CancellationToken stop)
    {
        if (marker != StreamItemKind.Resync)
            return false;
        _feed.Unregister(Subscriber);
        Subscriber = new Subscriber(_ids, _end);
        Debouncer = _debounceSeconds > 0 ? new Debouncer(_debounceSeconds) : null;
        _snapshot = await _loop.RetryAsync(() =>
        {
            _catchUp.Clear();
            return _start.TakeSnapshotAsync(Subscriber, Debouncer, _catchUp);
        }, output, stop).ConfigureAwait(false);
        _epoch = _snapshot.Epoch;
        WriteStart(output);
        return true;
    }

    /// <summary>A snapshot's event id: a plain stream's <see cref="LastEventId"/>, a debounced one's <see cref="DebouncedEventId"/>.</summary>
    internal static string SnapshotId(StreamSnapshot snapshot, Debouncer? debouncer, EventFeed feed) => debouncer is null
        ? new LastEventId(snapshot.Epoch, snapshot.Seq).ToString()
        : new DebouncedEventId(snapshot.Epoch, snapshot.Seq, snapshot.PointMs, feed.Node, debouncer.Seconds).ToString();

    /// <summary>Writes <paramref name="deliveries"/> and empties the list; whether there were any.</summary>
    private bool WriteAll(PipeWriter output, List<Delivery> deliveries, bool live)
    {
        foreach (var delivery in deliveries)
            _sse.WriteEvent(output, _epoch, delivery, live, _idTail, _heldMs);
        bool any = deliveries.Count > 0;
        deliveries.Clear();
        return any;
    }
}
