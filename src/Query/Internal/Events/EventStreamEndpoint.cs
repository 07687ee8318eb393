using System.Buffers;
using System.IO.Pipelines;
using Presence.Core;
using Presence.Core.Events;
using Presence.Query.Internal.Http;
using Presence.Query.Internal.Store;

namespace Presence.Query.Internal.Events;

/// <summary>
/// <c>GET /v1/presence/events?ids=…</c> and <c>POST /v1/presence/events</c> (HTTP-API.md, "Presence
/// events"): a Server-Sent Events stream of the watched users' transitions. A new stream starts
/// with a <c>snapshot</c> (the log's state of every watched id at one log position, with the
/// store's last-seen times); a stream resumed with a <c>Last-Event-ID</c> this node can serve starts
/// with the lines after it instead (any other <c>Last-Event-ID</c>, garbage included, gets the
/// snapshot). Then <c>online</c>/<c>offline</c> events as the log grows, a keepalive comment when
/// nothing was sent for <see cref="KeepaliveInterval"/>.
/// </summary>
/// <remarks>
/// The stream is written by hand on the response's <see cref="PipeWriter"/>, not through
/// <c>TypedResults.ServerSentEvents</c>: <c>SseItem&lt;T&gt;</c> (.NET 10) cannot carry a comment
/// line, and the keepalive the contract names is one (<c>: keepalive</c>).
/// </remarks>
internal sealed class EventStreamEndpoint
{
    /// <summary>Keepalives at least every 15 s (the contract); 10 s leaves room for a slow write.</summary>
    public static readonly TimeSpan KeepaliveInterval = TimeSpan.FromSeconds(10);

    private readonly EventFeed _feed;
    private readonly EventLogStore _log;
    private readonly PresenceStore _store;
    private readonly QueryMetrics _metrics;
    private readonly QueryOptions _options;
    private readonly SseWriter _sse;
    private readonly StreamStart _start;

    public EventStreamEndpoint(EventFeed feed, EventLogStore log, PresenceStore store, QueryMetrics metrics, QueryOptions options)
    {
        _feed = feed;
        _log = log;
        _store = store;
        _metrics = metrics;
        _options = options;
        _sse = new SseWriter(metrics);
        _start = new StreamStart(feed, log, store);
    }

    /// <summary><c>GET /v1/presence/events?ids=1,2,3</c>: up to --max-batch ids (what fits a URL; EventSource can only GET).</summary>
    public Task Get(HttpContext context)
    {
        var ids = ArrayPool<ulong>.Shared.Rent(_options.MaxBatch);
        var list = IdParser.ParseList(context.Request.Query["ids"], ids.AsSpan(0, _options.MaxBatch));
        return Start(context, ids, list, _options.MaxBatch);
    }

    /// <summary><c>POST /v1/presence/events</c> with <c>{"ids":[…]}</c>: up to --max-watch ids.</summary>
    public async Task Post(HttpContext context)
    {
        var body = await RequestBody.ReadJsonAsync(context, MaxBody).ConfigureAwait(false);
        if (body is null)
            return; // answered
        var ids = ArrayPool<ulong>.Shared.Rent(_options.MaxWatch);
        IdList list;
        try
        {
            list = IdParser.ParseBody(body.Value.Buffer, ids.AsSpan(0, _options.MaxWatch));
        }
        finally
        {
            context.Request.BodyReader.AdvanceTo(body.Value.Buffer.End);
        }
        await Start(context, ids, list, _options.MaxWatch).ConfigureAwait(false);
    }

    /// <summary>The body limit of this route: a full --max-watch list of 20-digit ids, as strings.</summary>
    private int MaxBody => Math.Max(_options.MaxBody, 64 + _options.MaxWatch * 23);

    private async Task Start(HttpContext context, ulong[] rented, IdList list, int limit)
    {
        ulong[] ids;
        try
        {
            if (list.Status != IdListStatus.Ok)
            {
                await PresenceEndpoints.WriteIdListProblem(context, list, limit,
                    "give at least one id: GET /v1/presence/events?ids=1,2,3 or POST /v1/presence/events {\"ids\":[1,2,3]}").ConfigureAwait(false);
                return;
            }
            // Sorted and distinct: the feed finds a user among them by binary search, the snapshot has one entry each.
            var span = rented.AsSpan(0, list.Count);
            span.Sort();
            int distinct = 0;
            for (int i = 0; i < span.Length; i++)
            {
                if (i == 0 || span[i] != span[i - 1])
                    span[distinct++] = span[i];
            }
            ids = span[..distinct].ToArray();
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(rented);
        }

        if (_feed.Subscribers >= _options.MaxSubscribers)
        {
            context.Response.Headers.RetryAfter = "5";
            await ProblemWriter.WriteAsync(context, Problem.TooManySubscribers,
                $"this node serves {_options.MaxSubscribers} event streams already; retry after 5 s, or on another node").ConfigureAwait(false);
            return;
        }
        _feed.EnsureStarted();
        if (!await _feed.WaitReadyAsync(_store.Timeout).ConfigureAwait(false))
        {
            await ProblemWriter.WriteAsync(context, Problem.StoreUnavailable, "the events log could not be read from the store").ConfigureAwait(false);
            return;
        }
        await StreamAsync(context, ids).ConfigureAwait(false);
    }

    /// <summary>
    /// The new snapshot after the log was replaced (the store came back empty, a new epoch). The
    /// store may not answer yet (the node's connections are coming back): the stream stays open and
    /// asks again with a capped backoff, with keepalives, as it does while the store is away
    /// (EVENTS.md, "The store away"), until it answers or the client leaves.
    /// </summary>
    private async Task<StreamSnapshot> SnapshotAfterResyncAsync(Subscriber subscriber, List<EventLogLine> catchUp, PipeWriter output, CancellationToken stop)
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));
        long lastWrite = Environment.TickCount64;
        while (true)
        {
            catchUp.Clear();
            if (await _start.TakeSnapshotAsync(subscriber, catchUp).ConfigureAwait(false) is { } snapshot)
                return snapshot;
            await Task.Delay(backoff.Fail(), stop).ConfigureAwait(false);
            if (Environment.TickCount64 - lastWrite >= (long)_options.EventsKeepalive.TotalMilliseconds)
            {
                SseWriter.WriteKeepalive(output);
                await output.FlushAsync(stop).ConfigureAwait(false);
                lastWrite = Environment.TickCount64;
            }
        }
    }

    private async Task StreamAsync(HttpContext context, ulong[] ids)
    {
        var request = context.Request;
        string? lastEventIdText = request.Headers["Last-Event-ID"].FirstOrDefault() ?? request.Query["lastEventId"].FirstOrDefault();
        // Ends the stream when the client leaves, or when it fell too far behind (its queue overflowed).
        using var end = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var subscriber = new Subscriber(ids, end);
        var catchUp = new List<EventLogLine>();
        bool resumed = LastEventId.TryParse(lastEventIdText, out var lastEventId)
            && await _start.TryResumeAsync(subscriber, lastEventId, catchUp).ConfigureAwait(false);
        StreamSnapshot? snapshot = null;
        if (!resumed)
        {
            snapshot = await _start.TakeSnapshotAsync(subscriber, catchUp).ConfigureAwait(false);
            if (snapshot is null)
            {
                await ProblemWriter.WriteAsync(context, Problem.StoreUnavailable, $"the store did not answer the snapshot: {_store.LastError ?? "no answer in time"}").ConfigureAwait(false);
                return;
            }
        }

        _metrics.EventSubscribers.Inc();
        try
        {
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-store";
            response.Headers["X-Accel-Buffering"] = "no"; // a proxy in front must pass events on at once
            var output = response.BodyWriter;
            var stop = end.Token;
            SseWriter.WriteRetry(output);
            if (snapshot is not null)
                _sse.WriteSnapshot(output, snapshot.Epoch, snapshot.Seq, snapshot.Ids, snapshot.LastSeenMs);
            else
                SseWriter.WriteEmptyLine(output);
            string epoch = snapshot?.Epoch ?? lastEventId.Epoch;
            foreach (var entry in catchUp)
                _sse.WriteEvent(output, epoch, entry, live: false);
            await output.FlushAsync(stop).ConfigureAwait(false);

            var queue = subscriber.Queue;
            while (!stop.IsCancellationRequested)
            {
                bool wrote = false;
                while (queue.TryRead(out var item))
                {
                    if (item.Kind == StreamItemKind.Resync)
                    {
                        // The log was replaced: a new snapshot, from a new registration.
                        _feed.Unregister(subscriber);
                        subscriber = new Subscriber(ids, end);
                        snapshot = await SnapshotAfterResyncAsync(subscriber, catchUp, output, stop).ConfigureAwait(false);
                        epoch = snapshot.Epoch;
                        _sse.WriteSnapshot(output, snapshot.Epoch, snapshot.Seq, snapshot.Ids, snapshot.LastSeenMs);
                        foreach (var caught in catchUp)
                            _sse.WriteEvent(output, epoch, caught, live: false);
                        queue = subscriber.Queue;
                        wrote = true;
                        break;
                    }
                    _sse.WriteEvent(output, epoch, item.Line, live: true);
                    wrote = true;
                }
                if (wrote)
                {
                    await output.FlushAsync(stop).ConfigureAwait(false);
                    continue;
                }
                if (subscriber.Overflowed && queue.Completion.IsCompleted)
                    return; // too slow: counted and ended below; the client resumes with its Last-Event-ID
                using var keepalive = CancellationTokenSource.CreateLinkedTokenSource(stop);
                keepalive.CancelAfter(_options.EventsKeepalive);
                try
                {
                    if (!await queue.WaitToReadAsync(keepalive.Token).ConfigureAwait(false))
                        continue; // completed (overflow): handled above
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    SseWriter.WriteKeepalive(output);
                    await output.FlushAsync(stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (end.IsCancellationRequested)
        {
            // The client went away, or fell too far behind (below).
        }
        finally
        {
            _feed.Unregister(subscriber);
            _metrics.EventSubscribers.Dec();
            if (subscriber.Overflowed)
            {
                // Drop the connection with whatever is still unsent: a client that reads nothing would
                // otherwise hold it until it read that. It resumes from the last event it received.
                // (Kestrel aborts it by itself when the cancelled write was a pending flush: counted all the same.)
                _metrics.EventStreamsEnded.WithLabels("overflow").Inc();
                context.Abort();
            }
        }
    }

}
