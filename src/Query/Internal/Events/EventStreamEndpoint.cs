using System.Buffers;
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
/// The stream itself is <see cref="StreamLoop"/>'s, written by an <see cref="IdStreamBody"/>.
/// </summary>
internal sealed class EventStreamEndpoint
{
    /// <summary>Keepalives at least every 15 s (the contract); 10 s leaves room for a slow write.</summary>
    public static readonly TimeSpan KeepaliveInterval = TimeSpan.FromSeconds(10);

    private readonly EventFeed _feed;
    private readonly PresenceStore _store;
    private readonly QueryOptions _options;
    private readonly SseWriter _sse;
    private readonly StreamStart _start;
    private readonly StreamLoop _loop;

    public EventStreamEndpoint(EventFeed feed, StreamStart start, StreamLoop loop, PresenceStore store, SseWriter sse, QueryOptions options)
    {
        _feed = feed;
        _store = store;
        _options = options;
        _sse = sse;
        _start = start;
        _loop = loop;
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
        if (await DebounceOf(context).ConfigureAwait(false) is not { } debounce)
            return;

        if (!await _loop.AdmitAsync(context, _store.Timeout).ConfigureAwait(false))
            return;
        await StreamAsync(context, ids, debounce).ConfigureAwait(false);
    }

    /// <summary>The request's <c>debounce</c> (<see cref="TryParseDebounce"/>), or null after answering 400 <c>bad-debounce</c>.</summary>
    internal static async Task<int?> DebounceOf(HttpContext context)
    {
        var values = context.Request.Query["debounce"];
        if (TryParseDebounce(values, out int seconds))
            return seconds;
        await ProblemWriter.WriteAsync(context, Problem.BadDebounce,
            $"debounce={values}: give a whole number of seconds from 0 to {Debouncer.MaxSeconds}, once (0: no debounce)").ConfigureAwait(false);
        return null;
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

    private async Task StreamAsync(HttpContext context, ulong[] ids, int debounceSeconds)
    {
        var request = context.Request;
        string? lastEventIdText = request.Headers["Last-Event-ID"].FirstOrDefault() ?? request.Query["lastEventId"].FirstOrDefault();
        // Ends the stream when the client leaves, or when it fell too far behind (its queue overflowed).
        using var end = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var subscriber = new Subscriber(ids, end);
        var debouncer = debounceSeconds > 0 ? new Debouncer(debounceSeconds) : null;
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

        await _loop.RunAsync(context, new IdStreamBody(subscriber, debouncer, epoch, snapshot, catchUp, end, _feed, _sse, _start, _loop), end).ConfigureAwait(false);
    }
}
