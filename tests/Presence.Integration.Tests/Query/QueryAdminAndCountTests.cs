using System.Net;
using System.Net.Http.Headers;
using Presence.Core.LastSeen;
using Presence.Integration.Tests.Ingest;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Query;

/// <summary>
/// docs/HTTP-API.md, "Admin keys, online count, erasing a last seen": who may erase a last seen, what the
/// erase does, and the online count against real ingesters and a real redis-server.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class QueryAdminAndCountTests(RedisFixture redis) : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(60);

    private readonly List<string> _files = [];

    public void Dispose()
    {
        foreach (var file in _files)
            File.Delete(file);
    }

    private string KeyFile(params string[] lines)
    {
        var file = Path.Combine(Path.GetTempPath(), $"presence-keys-{Guid.NewGuid():N}");
        _files.Add(file);
        File.WriteAllLines(file, lines);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return file;
    }

    private static async Task<HttpResponseMessage> Delete(QueryHost query, string id, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"/v1/presence/{id}/last-seen");
        if (key is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await query.Client.SendAsync(request);
    }

    private static async Task<string> ProblemType(HttpResponseMessage response) => (await QueryHost.Json(response)).GetProperty("type").GetString()!;

    [Fact]
    public async Task EraseLastSeen_AdminKeyOnly_ForgetsIt_LeavesThePresenceKey()
    {
        var prefix = TestKeys.Prefix();
        var readKeys = KeyFile("read-1");
        var adminKeys = KeyFile("admin-1");
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix, o =>
        {
            o.ApiKeys = readKeys;
            o.AdminKeys = adminKeys;
        });
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new LastSeenKeys(prefix);
        const ulong user = 51;
        await db.HashSetAsync(keys.KeyOf(user), LastSeenKeys.Field(user), 1_764_269_000);
        await db.StringSetAsync(IngestTestHost.Key(prefix, user), 1_764_269_500_000, TimeSpan.FromMinutes(1)); // online too

        using (var none = await Delete(query, "51", null))
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        using (var read = await Delete(query, "51", "read-1"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
            Assert.Equal("urn:presence:problem:forbidden", await ProblemType(read));
        }
        using (var wrong = await Delete(query, "51", "admin-2"))
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.True(await db.HashExistsAsync(keys.KeyOf(user), LastSeenKeys.Field(user)), "refused erases change nothing");

        using (var bad = await Delete(query, "x1", "admin-1"))
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using (var erased = await Delete(query, "51", "admin-1"))
            Assert.Equal(HttpStatusCode.NoContent, erased.StatusCode);
        Assert.False(await db.HashExistsAsync(keys.KeyOf(user), LastSeenKeys.Field(user)));
        Assert.True(await db.KeyExistsAsync(IngestTestHost.Key(prefix, user)), "an online user stays online");
        using (var again = await Delete(query, "51", "admin-1"))
            Assert.Equal(HttpStatusCode.NoContent, again.StatusCode); // nothing kept: still 204

        // An admin key opens the read routes too.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/presence/51");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "admin-1");
        Assert.Equal(HttpStatusCode.OK, (await query.Client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task EraseLastSeen_WithoutAdminKeys_403ToEveryone()
    {
        var prefix = TestKeys.Prefix();
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix);
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new LastSeenKeys(prefix);
        await db.HashSetAsync(keys.KeyOf(52), LastSeenKeys.Field(52), 1_764_269_000);

        foreach (var key in new[] { null, "anything" })
        {
            using var response = await Delete(query, "52", key);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("urn:presence:problem:forbidden", await ProblemType(response));
        }
        Assert.True(await db.HashExistsAsync(keys.KeyOf(52), LastSeenKeys.Field(52)));
    }

    [Fact]
    public async Task Count_NoLog503EventsOff_ThenFollowsRealIngesters_MetricTheSame()
    {
        var prefix = TestKeys.Prefix();
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix);

        using (var none = await query.Client.GetAsync("/v1/presence/count"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, none.StatusCode);
            Assert.Equal("urn:presence:problem:events-off", await ProblemType(none));
        }
        Assert.True(double.IsNaN(await query.GaugeAsync("presence_online_users")), "no log: no metric");

        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.TtlSeconds = 30);
        ingest.Heartbeat([61, 62, 63]);
        var three = await Eventually.Satisfy(async () => await QueryHost.Json(await query.Client.GetAsync("/v1/presence/count")),
            c => c.TryGetProperty("online", out var n) && n.GetInt64() == 3, "three users counted online (503 events-off until the first append)", s_wait);
        Assert.True(three.GetProperty("at").GetInt64() > 0);
        Assert.Equal(3, await query.GaugeAsync("presence_online_users"));

        ingest.Heartbeat([62], kind: Presence.Core.RecordKind.Offline);
        var two = await Eventually.Satisfy(async () => await QueryHost.Json(await query.Client.GetAsync("/v1/presence/count")),
            c => c.TryGetProperty("online", out var n) && n.GetInt64() == 2, "the sign-out counted", s_wait);
        Assert.True(two.GetProperty("at").GetInt64() >= three.GetProperty("at").GetInt64());
        Assert.Equal(2, await query.GaugeAsync("presence_online_users"));
    }
}
