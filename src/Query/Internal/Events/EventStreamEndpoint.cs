using System.Buffers;
using System.IO.Pipelines;
using Presence.Core;
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
        if (!TryParseDebounce(context.Request.Query["debounce"], out int debounce))
        {
            await ProblemWriter.WriteAsync(context, Problem.BadDebounce,
                $"debounce={context.Request.Query["debounce"]}: give a whole number of seconds from 0 to {Debouncer.MaxSeconds}, once (0: no debounce)").ConfigureAwait(false);
            return;
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
        await StreamAsync(context, ids, debounce).ConfigureAwait(false);
    }

    /// <summary><c>debounce=S</c>: absent is 0; one value, digits only, 0-60 (HTTP-API.md, "Debounce").</summary>
    internal static bool TryParseDebounce(Microsoft.Extensions.Primitives.StringValues values, out int seconds)
    {
        seconds = 0;
        if (values.Count == 0)
            return true;
        string? text = values.Count == 1 ? values[0] : null;
        return text is { Length: > 0 and <= 2 }
            && int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out seconds)
            && seconds <= Debouncer.MaxSeconds;
    }

    /// <summary>
    /// The new snapshot after the log was replaced (the store came back empty, a new epoch). The
    /// store may not answer yet (the node's connections are coming back): the stream stays open and
    /// asks again with a capped backoff, with keepalives, as it does while the store is away
    /// (EVENTS.md, "The store away"), until it answers or the client leaves.
    /// </summary>
    private async Task<StreamSnapshot> SnapshotAfterResyncAsync(Subscriber subscriber, Debouncer? debouncer, List<Delivery> catchUp, PipeWriter output, CancellationToken stop)
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));
        long lastWrite = Environment.TickCount64;
        while (true)
        {
            catchUp.Clear();
            if (await _start.TakeSnapshotAsync(subscriber, debouncer, catchUp).ConfigureAwait(false) is { } snapshot)
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

    /// <summary>A snapshot's event id: a plain stream's <see cref="LastEventId"/>, a debounced one's <see cref="DebouncedEventId"/>.</summary>
    private string SnapshotId(StreamSnapshot snapshot, Debouncer? debouncer) => debouncer is null
        ? new LastEventId(snapshot.Epoch, snapshot.Seq).ToString()
        : new DebouncedEventId(snapshot.Epoch, snapshot.Seq, snapshot.PointMs, _feed.Node, debouncer.Seconds).ToString();

    private async Task StreamAsync(HttpContext context, ulong[] ids, int debounceSeconds)
    {
        var request = context.Request;
        string? lastEventIdText = request.Headers["Last-Event-ID"].FirstOrDefault() ?? request.Query["lastEventId"].FirstOrDefault();
        // Ends the stream when the client leaves, or when it fell too far behind (its queue overflowed).
        using var end = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var subscriber = new Subscriber(ids, end);
        var debouncer = debounceSeconds > 0 ? new Debouncer(debounceSeconds) : null;
        string? idTail = debouncer is null ? null : $"-{_feed.Node}-{debounceSeconds}";
        long heldMs = debounceSeconds * 1000L;
        var catchUp = new List<Delivery>();
        string? epoch = await _start.TryResumeAsync(subscriber, lastEventIdText, debouncer, catchUp).ConfigureAwait(false);
        StreamSnapshot? snapshot = null;
        if (epoch is null)
        {
            snapshot = await _start.TakeSnapshotAsync(subscriber, debouncer, catchUp).ConfigureAwait(false);
            if (snapshot is null)
            {
                await ProblemWriter.WriteAsync(context, Problem.StoreUnavailable, $"the store did not answer the snapshot: {_store.LastError ?? "no answer in time"}").ConfigureAwait(false);
                return;
            }
            epoch = snapshot.Epoch;
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
                _sse.WriteSnapshot(output, SnapshotId(snapshot, debouncer), snapshot.Ids, snapshot.LastSeenMs);
            else
                SseWriter.WriteEmptyLine(output);
            WriteAll(output, epoch, catchUp, live: false, idTail, heldMs);
            CountSuppressed(debouncer);
            await output.FlushAsync(stop).ConfigureAwait(false);
            long lastWrite = Environment.TickCount64;

            var queue = subscriber.Queue;
            var sent = new List<Delivery>();
            while (!stop.IsCancellationRequested)
            {
                bool wrote = false;
                // A held offline due by the node's clock: take the clock before the queue, so every line
                // that could cancel it (read before it was due) is in the queue now (Debouncer's remarks).
                long? releaseAt = debouncer?.NextDueMs <= WallMs() ? _feed.Now() : null;
                bool resync = false;
                while (queue.TryRead(out var item))
                {
                    if (item.Kind == StreamItemKind.Resync)
                    {
                        resync = true;
                        break;
                    }
                    if (debouncer is null)
                    {
                        _sse.WriteEvent(output, epoch, new Delivery(item.Line, item.ReadMs), live: true);
                        wrote = true;
                    }
                    else
                    {
                        debouncer.Offer(item, sent); // held, sent, or cancelled
                    }
                }
                if (!resync && releaseAt is { } now)
                    debouncer!.ReleaseDue(now, sent);
                wrote |= WriteAll(output, epoch, sent, live: true, idTail, heldMs);
                CountSuppressed(debouncer);
                if (resync)
                {
                    // The log was replaced: a new snapshot, from a new registration (and nothing held: the snapshot is the state).
                    _feed.Unregister(subscriber);
                    subscriber = new Subscriber(ids, end);
                    debouncer = debounceSeconds > 0 ? new Debouncer(debounceSeconds) : null;
                    snapshot = await SnapshotAfterResyncAsync(subscriber, debouncer, catchUp, output, stop).ConfigureAwait(false);
                    epoch = snapshot.Epoch;
                    _sse.WriteSnapshot(output, SnapshotId(snapshot, debouncer), snapshot.Ids, snapshot.LastSeenMs);
                    WriteAll(output, epoch, catchUp, live: false, idTail, heldMs);
                    CountSuppressed(debouncer);
                    queue = subscriber.Queue;
                    wrote = true;
                }
                if (wrote)
                {
                    await output.FlushAsync(stop).ConfigureAwait(false);
                    lastWrite = Environment.TickCount64;
                    continue;
                }
                if (subscriber.Overflowed && queue.Completion.IsCompleted)
                    return; // too slow: counted and ended below; the client resumes with its Last-Event-ID
                long keepaliveMs = (long)_options.EventsKeepalive.TotalMilliseconds;
                long waitMs = Math.Max(1, lastWrite + keepaliveMs - Environment.TickCount64);
                if (debouncer?.NextDueMs is { } due)
                    waitMs = Math.Clamp(due - WallMs() + 1, 1, waitMs);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop);
                wait.CancelAfter(TimeSpan.FromMilliseconds(waitMs));
                try
                {
                    if (!await queue.WaitToReadAsync(wait.Token).ConfigureAwait(false))
                        continue; // completed (overflow): handled above
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    if (Environment.TickCount64 - lastWrite >= keepaliveMs)
                    {
                        SseWriter.WriteKeepalive(output);
                        await output.FlushAsync(stop).ConfigureAwait(false);
                        lastWrite = Environment.TickCount64;
                    }
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

    private static long WallMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Writes <paramref name="deliveries"/> and empties the list; whether there were any.</summary>
    private bool WriteAll(PipeWriter output, string epoch, List<Delivery> deliveries, bool live, string? idTail, long heldMs)
    {
        foreach (var delivery in deliveries)
            _sse.WriteEvent(output, epoch, delivery, live, idTail, heldMs);
        bool any = deliveries.Count > 0;
        deliveries.Clear();
        return any;
    }

    private void CountSuppressed(Debouncer? debouncer)
    {
        if (debouncer?.TakeSuppressed() is > 0 and var n)
            _metrics.EventsSuppressed.Inc(n);
    }
}
