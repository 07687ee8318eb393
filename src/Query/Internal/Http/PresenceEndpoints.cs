using System.Buffers;
using System.Diagnostics;
using Microsoft.Net.Http.Headers;
using Presence.Query.Internal.Store;

namespace Presence.Query.Internal.Http;

/// <summary>
/// The request handlers of HTTP-API.md. Ids are parsed into pooled buffers, checked in full before
/// the store is asked (a bad request costs the store nothing), and answered in request order.
/// </summary>
internal sealed class PresenceEndpoints
{
    private readonly PresenceStore _store;
    private readonly QueryMetrics _metrics;
    private readonly ILogger _logger;
    private readonly int _maxBatch;
    private readonly int _maxBody;
    private int _storeDown; // 1 after a failed store call, until one succeeds: logs the changes, not every failure

    public PresenceEndpoints(PresenceStore store, QueryMetrics metrics, QueryOptions options, ILogger logger)
    {
        _store = store;
        _metrics = metrics;
        _logger = logger;
        _maxBatch = options.MaxBatch;
        _maxBody = options.MaxBody;
    }

    /// <summary><c>GET /v1/presence/{id}</c></summary>
    public async Task GetOne(HttpContext context)
    {
        var text = context.Request.RouteValues["id"] as string;
        if (!IdParser.TryParse(text, out ulong id))
        {
            await ProblemWriter.WriteAsync(context, Problem.BadId, $"id '{text}' is not an integer in 1 … 18446744073709551615", id: text);
            return;
        }
        var ids = ArrayPool<ulong>.Shared.Rent(1);
        ids[0] = id;
        await Answer(context, ids, 1, single: true);
    }

    /// <summary><c>GET /v1/presence?ids=1,2,3</c></summary>
    public Task GetMany(HttpContext context)
    {
        var ids = ArrayPool<ulong>.Shared.Rent(_maxBatch);
        var buffer = ids.AsSpan(0, _maxBatch);
        var request = context.Request;
        if (!IdParser.TryParseRawQuery(request.QueryString.Value, "ids", buffer, out var list))
            list = IdParser.ParseList(request.Query["ids"], buffer);
        return AnswerList(context, ids, list);
    }

    /// <summary><c>POST /v1/presence/query</c> with <c>{"ids":[1,"2",3]}</c></summary>
    public async Task Query(HttpContext context)
    {
        var read = await RequestBody.ReadJsonAsync(context, _maxBody);
        if (read is null)
            return; // answered
        var ids = ArrayPool<ulong>.Shared.Rent(_maxBatch);
        IdList list;
        try
        {
            list = IdParser.ParseBody(read.Value.Buffer, ids.AsSpan(0, _maxBatch));
        }
        finally
        {
            context.Request.BodyReader.AdvanceTo(read.Value.Buffer.End);
        }
        await AnswerList(context, ids, list);
    }

    /// <summary>The <c>/readyz</c> probe: ready while the store answers a PING within the store timeout.</summary>
    public async Task<string?> NotReadyBecause(CancellationToken cancel)
    {
        var status = await _store.PingAsync();
        Track(status);
        return status == StoreStatus.Ok ? null : $"the store did not answer PING: {_store.LastError}";
    }

    /// <summary>A 503 from <c>/readyz</c> is a problem document, like every error of this service.</summary>
    public static Task WriteNotReady(HttpContext context, string reason) => ProblemWriter.WriteAsync(context, Problem.StoreUnavailable, reason);

    private Task AnswerList(HttpContext context, ulong[] ids, IdList list)
    {
        if (list.Status == IdListStatus.Ok)
            return Answer(context, ids, list.Count, single: false);

        ArrayPool<ulong>.Shared.Return(ids);
        return WriteIdListProblem(context, list, _maxBatch,
            "give at least one id: GET /v1/presence?ids=1,2,3 or POST /v1/presence/query {\"ids\":[1,2,3]}");
    }

    /// <summary>The problem answer for an id list that is not <see cref="IdListStatus.Ok"/>.</summary>
    internal static Task WriteIdListProblem(HttpContext context, IdList list, int limit, string usage) => list.Status switch
    {
        IdListStatus.Empty => ProblemWriter.WriteAsync(context, Problem.NoIds, usage),
        IdListStatus.TooMany => ProblemWriter.WriteAsync(context, Problem.TooManyIds, $"at most {limit} ids in one request"),
        IdListStatus.BadId => ProblemWriter.WriteAsync(context, Problem.BadId,
            $"ids[{list.BadIndex}] '{list.BadId}' is not an integer in 1 … 18446744073709551615", id: list.BadId, index: list.BadIndex),
        _ => ProblemWriter.WriteAsync(context, Problem.MalformedJson, list.Detail ?? "malformed body"),
    };

    /// <summary>Asks the store for ids[..count] (a pooled buffer, returned here) and writes the answer.</summary>
    private async Task Answer(HttpContext context, ulong[] ids, int count, bool single)
    {
        var lastSeen = ArrayPool<long>.Shared.Rent(count);
        try
        {
            long started = Stopwatch.GetTimestamp();
            var status = await _store.GetLastSeenAsync(ids.AsMemory(0, count), lastSeen.AsMemory(0, count));
            _metrics.StoreCall(status, Stopwatch.GetElapsedTime(started));
            Track(status);
            if (status != StoreStatus.Ok)
            {
                await ProblemWriter.WriteAsync(context, Problem.StoreUnavailable, $"the store did not answer: {_store.LastError}");
                return;
            }

            _metrics.IdsAnswered(count);
            var response = context.Response;
            response.ContentType = "application/json; charset=utf-8";
            response.Headers.CacheControl = "no-store";
            var body = PresenceJson.Render(ids.AsSpan(0, count), lastSeen.AsSpan(0, count), single);
            response.ContentLength = body.Length;
            // No flush here: Kestrel sends headers and body together when the handler returns.
            response.BodyWriter.Write(body);
        }
        finally
        {
            ArrayPool<long>.Shared.Return(lastSeen);
            ArrayPool<ulong>.Shared.Return(ids);
        }
    }

    /// <summary>Logs the store's changes between answering and not (not every failure); every route's store calls report here.</summary>
    internal void Track(StoreStatus status)
    {
        if (status == StoreStatus.Ok)
        {
            if (Volatile.Read(ref _storeDown) == 1 && Interlocked.Exchange(ref _storeDown, 0) == 1)
                QueryLog.StoreBack(_logger);
        }
        else if (Interlocked.Exchange(ref _storeDown, 1) == 0)
        {
            QueryLog.StoreLost(_logger, status, _store.LastError);
        }
    }

    /// <summary>application/json or any <c>+json</c> type; a charset, when given, must be UTF-8.</summary>
    internal static bool IsJson(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
            return false;
        bool json = media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (media.Type.Equals("application", StringComparison.OrdinalIgnoreCase) && media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));
        return json && (!media.Charset.HasValue || media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));
    }
}
