using System.IO.Pipelines;
using Presence.Core;
using Presence.Query.Internal.Http;

namespace Presence.Query.Internal.Events;

/// <summary>
/// The part every event stream shares (HTTP-API.md, "Presence events"; <see cref="EventStreamEndpoint"/>,
/// <see cref="GroupStreamEndpoint"/>): the answer's headers, its start, then its subscriber's queue
/// written as it fills (through a debounce when there is one), keepalives, the markers a
/// <see cref="StreamBody"/> handles, and the end: the client left, or fell too far behind.
/// </summary>
/// <remarks>
/// The stream is written by hand on the response's <see cref="PipeWriter"/>, not through
/// <c>TypedResults.ServerSentEvents</c>: <c>SseItem&lt;T&gt;</c> (.NET 10) cannot carry a comment
/// line, and the keepalive the contract names is one (<c>: keepalive</c>).
/// </remarks>
internal sealed class StreamLoop(EventFeed feed, QueryMetrics metrics, QueryOptions options)
{
    private readonly EventFeed _feed = feed;
    private readonly QueryMetrics _metrics = metrics;
    private readonly QueryOptions _options = options;

    /// <summary>
    /// Runs <paramref name="body"/> until the client leaves or <paramref name="end"/> is cancelled
    /// (its subscriber overflowed: the connection is then aborted, and the client resumes).
    /// </summary>
    public async Task RunAsync(HttpContext context, StreamBody body, CancellationTokenSource end)
    {
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
            body.WriteStart(output);
            CountSuppressed(body.Debouncer);
            await output.FlushAsync(stop).ConfigureAwait(false);
            long lastWrite = Environment.TickCount64;

            var sent = new List<Delivery>();
            while (!stop.IsCancellationRequested)
            {
                var queue = body.Subscriber.Queue;
                var debouncer = body.Debouncer;
                // A held offline due by the node's clock: take the clock before the queue, so every line
                // that could cancel it (read before it was due) is in the queue now (Debouncer's remarks).
                long? releaseAt = debouncer?.NextDueMs <= WallMs() ? _feed.Now() : null;
                StreamItemKind? marker = null;
                while (queue.TryRead(out var item))
                {
                    if (item.Kind != StreamItemKind.Line)
                    {
                        marker = item.Kind;
                        break;
                    }
                    if (debouncer is null)
                        sent.Add(new Delivery(item.Line, item.ReadMs));
                    else
                        debouncer.Offer(item, sent); // held, sent, or cancelled
                }
                if (marker is null && releaseAt is { } now)
                    debouncer!.ReleaseDue(now, sent);
                bool wrote = body.Write(output, sent, live: true);
                CountSuppressed(debouncer);
                if (marker is { } kind)
                {
                    wrote |= await body.HandleAsync(kind, output, stop).ConfigureAwait(false);
                    CountSuppressed(body.Debouncer);
                }
                if (wrote)
                {
                    await output.FlushAsync(stop).ConfigureAwait(false);
                    lastWrite = Environment.TickCount64;
                    continue;
                }
                if (body.Overflowed && body.Subscriber.Queue.Completion.IsCompleted)
                    return; // too slow: counted and ended below; the client resumes with its Last-Event-ID
                if (marker is not null)
                    continue; // the marker changed nothing: read the queue again before waiting
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
            body.Unregister(_feed);
            _metrics.EventSubscribers.Dec();
            if (body.Overflowed)
            {
                // Drop the connection with whatever is still unsent: a client that reads nothing would
                // otherwise hold it until it read that. It resumes from the last event it received.
                // (Kestrel aborts it by itself when the cancelled write was a pending flush: counted all the same.)
                _metrics.EventStreamsEnded.WithLabels("overflow").Inc();
                context.Abort();
            }
        }
    }

    /// <summary>
    /// Asks <paramref name="attempt"/> until it answers (the store may not answer yet: the node's
    /// connections are coming back), with a capped backoff and keepalives, as the stream does while
    /// the store is away (EVENTS.md, "The store away"), until it answers or the client leaves.
    /// </summary>
    public async Task<T> RetryAsync<T>(Func<Task<T?>> attempt, PipeWriter output, CancellationToken stop) where T : class
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));
        long lastWrite = Environment.TickCount64;
        while (true)
        {
            if (await attempt().ConfigureAwait(false) is { } answer)
                return answer;
            await Task.Delay(backoff.Fail(), stop).ConfigureAwait(false);
            if (Environment.TickCount64 - lastWrite >= (long)_options.EventsKeepalive.TotalMilliseconds)
            {
                SseWriter.WriteKeepalive(output);
                await output.FlushAsync(stop).ConfigureAwait(false);
                lastWrite = Environment.TickCount64;
            }
        }
    }

    /// <summary>
    /// The checks every stream makes before it starts, after its own: the node's subscriber limit, and a feed
    /// that has read the log. False when a problem was answered.
    /// </summary>
    public async Task<bool> AdmitAsync(HttpContext context, TimeSpan storeTimeout)
    {
        if (_feed.Subscribers >= _options.MaxSubscribers)
        {
            context.Response.Headers.RetryAfter = "5";
            await ProblemWriter.WriteAsync(context, Problem.TooManySubscribers,
                $"this node serves {_options.MaxSubscribers} event streams already; retry after 5 s, or on another node").ConfigureAwait(false);
            return false;
        }
        _feed.EnsureStarted();
        if (!await _feed.WaitReadyAsync(storeTimeout).ConfigureAwait(false))
        {
            await ProblemWriter.WriteAsync(context, Problem.StoreUnavailable, "the events log could not be read from the store").ConfigureAwait(false);
            return false;
        }
        return true;
    }

    private void CountSuppressed(Debouncer? debouncer)
    {
        if (debouncer?.TakeSuppressed() is > 0 and var n)
            _metrics.EventsSuppressed.Inc(n);
    }

    internal static long WallMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
