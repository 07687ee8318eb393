using System.Diagnostics;
using System.Net;
using Presence.Testing;

namespace Presence.Integration.Tests.Query;

/// <summary>
/// The store going away: each test stops or pauses a redis-server of its own. The service answers
/// 503 within the store timeout (never hangs), /readyz follows the store, /healthz does not.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class QueryOutageTests
{
    private const int StoreTimeoutMs = 500;

    /// <summary>The store timeout plus room for a busy 2-core machine; a hang would take the client's 30 s.</summary>
    private static readonly TimeSpan s_answerWithin = TimeSpan.FromMilliseconds(StoreTimeoutMs + 2500);

    [Fact]
    public async Task Readyz_StoreStoppedThenRestarted_503Then200_HealthzStays200()
    {
        using var server = RedisServer.Start();
        await using var query = await QueryHost.StartAsync(server.Configuration, TestKeys.Prefix(), o => o.StoreTimeoutMs = StoreTimeoutMs);
        await Eventually.Until(() => Status(query, "/readyz", HttpStatusCode.OK), "/readyz is 200 while the store runs");

        server.Stop();

        await Eventually.Until(() => Status(query, "/readyz", HttpStatusCode.ServiceUnavailable), "/readyz is 503 while the store is stopped");
        Assert.Equal(HttpStatusCode.OK, (await query.Client.GetAsync("/healthz")).StatusCode);

        server.Restart();

        await Eventually.Until(() => Status(query, "/readyz", HttpStatusCode.OK), "/readyz is 200 again after the restart");
        Assert.Equal(HttpStatusCode.OK, (await query.Client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Get_StoreStopped_503WithinTimeout()
    {
        using var server = RedisServer.Start();
        await using var query = await QueryHost.StartAsync(server.Configuration, TestKeys.Prefix(), o => o.StoreTimeoutMs = StoreTimeoutMs);
        Assert.Equal(HttpStatusCode.OK, (await query.Client.GetAsync("/v1/presence/1")).StatusCode);

        server.Stop();

        await AssertStoreUnavailable(query, () => query.Client.GetAsync("/v1/presence?ids=1,2,3"));
        await AssertStoreUnavailable(query, () => query.PostJson("""{"ids":[1]}"""));

        server.Restart();
        await Eventually.Until(() => Status(query, "/v1/presence/1", HttpStatusCode.OK), "queries answer again after the restart");
    }

    [Fact]
    public async Task Get_StorePaused_503WithinTimeoutThenAnswersAfterResume()
    {
        using var server = RedisServer.Start();
        await using var query = await QueryHost.StartAsync(server.Configuration, TestKeys.Prefix(), o => o.StoreTimeoutMs = StoreTimeoutMs);
        Assert.Equal(HttpStatusCode.OK, (await query.Client.GetAsync("/v1/presence/1")).StatusCode);

        server.Pause();
        try
        {
            await AssertStoreUnavailable(query, () => query.Client.GetAsync("/v1/presence/1"));
            await AssertStoreUnavailable(query, () => query.Client.GetAsync("/v1/presence?ids=1,2"));
            var ready = await Timed(() => query.Client.GetAsync("/readyz"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Response.StatusCode);
            Assert.True(ready.Elapsed < s_answerWithin, $"/readyz took {ready.Elapsed}");
            Assert.Equal(HttpStatusCode.OK, (await query.Client.GetAsync("/healthz")).StatusCode);
        }
        finally
        {
            server.Resume();
        }

        await Eventually.Until(() => Status(query, "/v1/presence/1", HttpStatusCode.OK), "queries answer again after resume");
    }

    private static async Task AssertStoreUnavailable(QueryHost query, Func<Task<HttpResponseMessage>> send)
    {
        var (response, elapsed) = await Timed(send);
        using (response)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await QueryHost.Json(response);
            Assert.Equal("urn:presence:problem:store-unavailable", problem.GetProperty("type").GetString());
            Assert.True(elapsed < s_answerWithin, $"503 took {elapsed}, over {s_answerWithin}");
        }
    }

    private static async Task<(HttpResponseMessage Response, TimeSpan Elapsed)> Timed(Func<Task<HttpResponseMessage>> send)
    {
        var clock = Stopwatch.StartNew();
        var response = await send();
        return (response, clock.Elapsed);
    }

    private static async Task<bool> Status(QueryHost query, string path, HttpStatusCode expected)
    {
        using var response = await query.Client.GetAsync(path);
        return response.StatusCode == expected;
    }
}
