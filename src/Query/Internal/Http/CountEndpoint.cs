using System.Text.Json;
using Presence.Query.Internal.Events;

namespace Presence.Query.Internal.Http;

/// <summary><c>GET /v1/presence/count</c> (docs/HTTP-API.md, "Online count"): <c>{"online":N,"at":ms}</c> from the events log, O(1).</summary>
internal sealed class CountEndpoint(OnlineCountReader reader, QueryMetrics metrics)
{
    public async Task Get(HttpContext context)
    {
        var count = await reader.ReadAsync(context.RequestAborted);
        if (count is null)
        {
            await ProblemWriter.WriteAsync(context, Problem.StoreUnavailable, $"the store did not answer: {reader.LastError}");
            return;
        }
        if (!count.HasLog)
        {
            await ProblemWriter.WriteAsync(context, Problem.EventsOff,
                "the store has no events log: the ingesters run with --events off, or none has appended a transition yet");
            return;
        }
        metrics.OnlineUsers.Set(count.Online);
        var response = context.Response;
        response.ContentType = "application/json; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        using var json = new Utf8JsonWriter(response.BodyWriter);
        json.WriteStartObject();
        json.WriteNumber("online", count.Online);
        json.WriteNumber("at", count.AtMs);
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }

    /// <summary>Before a scrape: <c>presence_online_users</c> read from the log (left as it was when the store does not answer or has no log).</summary>
    public async Task RefreshAsync()
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        if (await reader.ReadAsync(bound.Token) is { HasLog: true } count)
            metrics.OnlineUsers.Set(count.Online);
    }
}
