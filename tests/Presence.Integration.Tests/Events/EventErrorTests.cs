using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Presence.Integration.Tests.Query;
using Presence.Testing;

namespace Presence.Integration.Tests.Events;

/// <summary>The events routes' errors before a stream starts (HTTP-API.md), keepalives, and their metrics.</summary>
[Collection(RedisCollection.Name)]
public sealed class EventErrorTests(RedisFixture redis) : IDisposable
{
    private readonly string _keyFile = Path.Combine(Path.GetTempPath(), $"presence-keys-{Guid.NewGuid():N}");

    public void Dispose() => File.Delete(_keyFile);

    /// <summary>
    /// Asserts a problem answer. Its body is read only when it is not an event stream (a stream never
    /// ends), and under a deadline: a test that got a stream where it expected a refusal fails, it
    /// does not hang.
    /// </summary>
    private static async Task<string> AssertProblem(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        using (response)
        {
            var media = response.Content.Headers.ContentType?.MediaType;
            Assert.True(media != "text/event-stream", $"expected {(int)status} {type}, got {(int)response.StatusCode} and an event stream");
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var body = await response.Content.ReadAsStringAsync(deadline.Token);
            Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", media);
            Assert.Contains($"\"urn:presence:problem:{type}\"", body, StringComparison.Ordinal);
            return body;
        }
    }

    /// <summary>A GET of the events route that returns once the answer's headers are in (within a deadline), its body unread.</summary>
    private static async Task<HttpResponseMessage> GetHeaders(QueryHost query, string pathAndQuery)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await query.Client.GetAsync(pathAndQuery, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
    }

    private static StringContent Json(string json, string type = "application/json") => new(json, Encoding.UTF8, MediaTypeHeaderValue.Parse(type));

    [Fact]
    public async Task BadRequests_AnsweredWithProblems_NoStream()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix(), o => o.MaxWatch = 50);
        var client = query.Client;
        await AssertProblem(await client.GetAsync("/v1/presence/events"), HttpStatusCode.BadRequest, "no-ids");
        await AssertProblem(await client.GetAsync("/v1/presence/events?ids=1,x"), HttpStatusCode.BadRequest, "bad-id");
        await AssertProblem(await client.GetAsync("/v1/presence/events?ids=" + string.Join(",", Enumerable.Range(1, 1001))), HttpStatusCode.BadRequest, "too-many-ids");
        await AssertProblem(await client.PostAsync("/v1/presence/events", Json("{\"ids\":[" + string.Join(",", Enumerable.Range(1, 51)) + "]}")), HttpStatusCode.BadRequest, "too-many-ids");
        await AssertProblem(await client.PostAsync("/v1/presence/events", Json("{\"ids\":[1,2")), HttpStatusCode.BadRequest, "malformed-json");
        await AssertProblem(await client.PostAsync("/v1/presence/events", Json("{\"ids\":[1]}", "text/plain")), HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        // The route's body limit: --max-body, or a full --max-watch list of 20-digit ids if that is more.
        await AssertProblem(await client.PostAsync("/v1/presence/events", Json("{\"ids\":[1]" + new string(' ', 70_000) + "}")), HttpStatusCode.RequestEntityTooLarge, "body-too-large");
        Assert.Equal(0, await query.GaugeAsync("presence_event_subscribers"));
    }

    [Fact]
    public async Task MaxSubscribers_OneMore_503WithRetryAfter_RoomAgainWhenOneCloses()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix(), o => o.MaxSubscribers = 2);
        var first = await SseClient.OpenAsync(query.Client.BaseAddress!, "/v1/presence/events?ids=1");
        await using var second = await SseClient.OpenAsync(query.Client.BaseAddress!, "/v1/presence/events?ids=2");

        var refused = await GetHeaders(query, "/v1/presence/events?ids=3");
        var body = await AssertProblem(refused, HttpStatusCode.ServiceUnavailable, "too-many-subscribers");
        // The rule: a fixed 5 s (room comes back when a stream closes, which the node cannot foresee), said in the detail too.
        Assert.Equal(TimeSpan.FromSeconds(5), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("retry after 5 s", body, StringComparison.Ordinal);

        await first.DisposeAsync();
        await Eventually.Until(async () => await query.GaugeAsync("presence_event_subscribers") == 1, "the closed stream counted out");
        await using var third = await SseClient.OpenAsync(query.Client.BaseAddress!, "/v1/presence/events?ids=3");
        Assert.Equal("snapshot", (await third.NextAsync("the snapshot")).Type);
    }

    [Fact]
    public async Task StoreDown_Subscribe_503()
    {
        using var server = RedisServer.Start();
        await using var query = await QueryHost.StartAsync(server.Configuration, TestKeys.Prefix());
        server.Stop();
        await AssertProblem(await GetHeaders(query, "/v1/presence/events?ids=1"), HttpStatusCode.ServiceUnavailable, "store-unavailable");
    }

    [Fact]
    public async Task ApiKeys_HeaderOrAccessTokenOnThisRouteOnly()
    {
        File.WriteAllLines(_keyFile, ["k-events-1"]);
        File.SetUnixFileMode(_keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix(), o => o.ApiKeys = _keyFile);
        await AssertProblem(await GetHeaders(query, "/v1/presence/events?ids=1"), HttpStatusCode.Unauthorized, "unauthorized");
        await AssertProblem(await GetHeaders(query, "/v1/presence/events?ids=1&access_token=wrong"), HttpStatusCode.Unauthorized, "unauthorized");
        // EventSource cannot send headers: the key may come in the URL here, and only here.
        await using (var stream = await SseClient.OpenAsync(query.Client.BaseAddress!, "/v1/presence/events?ids=1&access_token=k-events-1"))
            Assert.Equal("snapshot", (await stream.NextAsync("the snapshot")).Type);
        await AssertProblem(await query.Client.GetAsync("/v1/presence?ids=1&access_token=k-events-1"), HttpStatusCode.Unauthorized, "unauthorized");

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/presence/events?ids=1");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "k-events-1");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var withHeader = await query.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token); // headers only: the body is a stream
        Assert.Equal(HttpStatusCode.OK, withHeader.StatusCode);
        Assert.Equal("text/event-stream", withHeader.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task RateLimit_SecondSubscriptionInTheSameSecond_429()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix(), o => o.RateLimit = 1);
        await using var stream = await SseClient.OpenAsync(query.Client.BaseAddress!, "/v1/presence/events?ids=1");
        // One token a second: subscriptions back to back are refused unless each takes a second or more
        // (a loaded machine), so try a few; a stream that got through is closed at once, never read.
        HttpResponseMessage? refused = null;
        var passed = new List<HttpStatusCode>();
        for (int i = 0; i < 10 && refused is null; i++)
        {
            var response = await GetHeaders(query, "/v1/presence/events?ids=1");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
                refused = response;
            else
                using (response)
                    passed.Add(response.StatusCode);
        }
        Assert.True(refused is not null, $"no 429 in 10 subscriptions back to back: {string.Join(", ", passed)}");
        var body = await AssertProblem(refused, HttpStatusCode.TooManyRequests, "rate-limited");
        // The rule (QueryApp): the limiter's wait for a token, rounded up, at least 1 s: one token a second is 1 s.
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("retry after 1 s", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QuietStream_KeepaliveComments_AndMetricsCountTheStream()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix(), o => o.EventsKeepalive = TimeSpan.FromMilliseconds(300));
        await using (var stream = await SseClient.OpenAsync(query.Client.BaseAddress!, "/v1/presence/events?ids=1"))
        {
            Assert.Equal("snapshot", (await stream.NextAsync("the snapshot")).Type);
            var comment = await stream.NextAsync("a keepalive", comments: true);
            Assert.Equal(("comment", "keepalive"), (comment.Type, comment.Data));
            await Eventually.Until(async () => await query.GaugeAsync("presence_event_subscribers") == 1, "one open stream counted");
            Assert.True(await query.GaugeAsync("presence_events_sent_total{type=\"snapshot\"}") >= 1);
        }
        await Eventually.Until(async () => await query.GaugeAsync("presence_event_subscribers") == 0, "the stream counted out once closed");
    }
}
