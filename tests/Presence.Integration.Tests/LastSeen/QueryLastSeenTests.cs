using System.Net;
using System.Text.Json;
using Presence.Core;
using Presence.Core.LastSeen;
using Presence.Integration.Tests.Events;
using Presence.Integration.Tests.Ingest;
using Presence.Integration.Tests.Query;
using Presence.Query;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.LastSeen;

/// <summary>
/// docs/HTTP-API.md, "Last seen", as presence-query answers it: an offline user's last seen from its
/// bucket, read in the same store call as presence, on redis-server and Garnet, through the direct
/// connection and the multiplexer; the retention; <c>--last-seen-days 0</c>; a store that lost the
/// script; and the whole path from a real ingester's sign-out to the batch answer and a snapshot.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class QueryLastSeenTests(RedisFixture redis)
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(60);

    public static TheoryData<string, string> StoresAndReads => new()
    {
        { "redis", QueryOptions.DirectReads },
        { "redis", QueryOptions.MultiplexerReads },
        { "garnet", QueryOptions.DirectReads },
        { "garnet", QueryOptions.MultiplexerReads },
    };

    /// <summary>
    /// Users 1 online; 2 online with a key holding no number; 3 offline and remembered; 4 offline and
    /// remembered before the retention; 5 never seen. Returns 3's last seen (Unix seconds).
    /// </summary>
    private static async Task<long> SeedAsync(IDatabase db, string prefix, long now)
    {
        var buckets = new LastSeenKeys(prefix);
        await db.StringSetAsync(IngestTestHost.Key(prefix, 1), now, TimeSpan.FromMinutes(1));
        await db.HashSetAsync(buckets.KeyOf(1), LastSeenKeys.Field(1), (now / 1000) - 600); // online wins over an older last seen
        await db.StringSetAsync(IngestTestHost.Key(prefix, 2), "not-a-time", TimeSpan.FromMinutes(1));
        long three = (now / 1000) - 3600;
        await db.HashSetAsync(buckets.KeyOf(3), LastSeenKeys.Field(3), three);
        await db.HashSetAsync(buckets.KeyOf(4), LastSeenKeys.Field(4), (now / 1000) - (31 * 86_400));
        return three;
    }

    /// <summary>The batch's entries by id (a repeated id's entries are the same: the first is kept).</summary>
    private static Dictionary<string, JsonElement> ById(JsonElement batch) =>
        batch.GetProperty("users").EnumerateArray().DistinctBy(u => u.GetProperty("id").GetString()).ToDictionary(u => u.GetProperty("id").GetString()!);

    private static long? LastSeen(JsonElement user) =>
        user.GetProperty("lastSeenMs").ValueKind == JsonValueKind.Null ? null : user.GetProperty("lastSeenMs").GetInt64();

    [Theory]
    [MemberData(nameof(StoresAndReads))]
    public async Task Batch_OfflineUsersGetTheirLastSeen_WithinTheRetention(string store, string reads)
    {
        using var garnet = store == "garnet" ? new EmbeddedGarnet() : null;
        string configuration = garnet?.Configuration ?? redis.Server.Configuration;
        var prefix = TestKeys.Prefix();
        using var mux = await ConnectionMultiplexer.ConnectAsync(configuration);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long three = await SeedAsync(mux.GetDatabase(), prefix, now);
        await using var query = await QueryHost.StartAsync(configuration, prefix, o => o.StoreReads = reads);

        using var response = await query.Client.GetAsync("/v1/presence?ids=1,2,3,4,5,3");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await QueryHost.Json(response);
        Assert.Equal(2, body.GetProperty("online").GetInt32()); // 1 and 2; a last seen is not online
        var users = ById(body);
        Assert.True(users["1"].GetProperty("online").GetBoolean());
        Assert.Equal(now, LastSeen(users["1"])); // the key's exact time, not the older last seen
        Assert.True(users["2"].GetProperty("online").GetBoolean());
        Assert.Null(LastSeen(users["2"]));
        Assert.False(users["3"].GetProperty("online").GetBoolean());
        Assert.Equal(three * 1000, LastSeen(users["3"]));
        Assert.False(users["4"].GetProperty("online").GetBoolean());
        Assert.Null(LastSeen(users["4"])); // older than --last-seen-days (30): never answered
        Assert.False(users["5"].GetProperty("online").GetBoolean());
        Assert.Null(LastSeen(users["5"]));
        Assert.Equal(6, body.GetProperty("users").GetArrayLength());
        Assert.Equal(users["3"].ToString(), body.GetProperty("users")[5].ToString()); // the repeated id answered the same

        var single = await QueryHost.Json(await query.Client.GetAsync("/v1/presence/3"));
        Assert.False(single.GetProperty("online").GetBoolean());
        Assert.Equal(three * 1000, LastSeen(single));
    }

    [Fact]
    public async Task LastSeenDaysZero_OfflineUsersNull_TheScriptNeverLoaded()
    {
        var prefix = TestKeys.Prefix();
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration + ",allowAdmin=true");
        var server = mux.GetServer(redis.Server.EndPoint);
        await SeedAsync(mux.GetDatabase(), prefix, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await server.ScriptFlushAsync(); // so that a load by this query would show
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix, o => o.LastSeenDays = 0);

        var users = ById(await QueryHost.Json(await query.Client.GetAsync("/v1/presence?ids=1,3,5")));

        Assert.True(users["1"].GetProperty("online").GetBoolean());
        Assert.Null(LastSeen(users["3"]));
        Assert.Null(LastSeen(users["5"]));
        Assert.False(await server.ScriptExistsAsync(LastSeenScripts.Presence), "plain MGETs: the presence script was not loaded");
    }

    [Fact]
    public async Task StoreLosesTheScript_TheConnectionReopensAndLoadsItAgain()
    {
        var prefix = TestKeys.Prefix();
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration + ",allowAdmin=true");
        long three = await SeedAsync(mux.GetDatabase(), prefix, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix);
        Assert.Equal(three * 1000, LastSeen(await QueryHost.Json(await query.Client.GetAsync("/v1/presence/3"))));

        await mux.GetServer(redis.Server.EndPoint).ScriptFlushAsync();

        // The read that meets NOSCRIPT fails (503); the connection then reopens and loads the script.
        await Eventually.Until(async () =>
        {
            using var response = await query.Client.GetAsync("/v1/presence/3");
            return response.StatusCode == HttpStatusCode.OK && LastSeen(await QueryHost.Json(response)) == three * 1000;
        }, "the last seen answered again after SCRIPT FLUSH", s_wait);
    }

    [Fact]
    public async Task RealIngester_SignOut_BatchAndSnapshotAnswerTheSignOutsTime()
    {
        var prefix = TestKeys.Prefix();
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.TtlSeconds = 30);
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix);
        const ulong user = 71;

        ingest.Heartbeat([user]);
        await Eventually.Until(async () => await db.KeyExistsAsync(IngestTestHost.Key(prefix, user)), "the user's key", s_wait);
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        ingest.Heartbeat([user], kind: RecordKind.Offline);

        var answer = await Eventually.Satisfy(async () => await QueryHost.Json(await query.Client.GetAsync($"/v1/presence/{user}")),
            u => !u.GetProperty("online").GetBoolean() && LastSeen(u) is not null, "the signed-out user offline with a last seen", s_wait);
        long seen = LastSeen(answer)!.Value;
        Assert.Equal(0, seen % 1000); // whole seconds
        Assert.InRange(seen, (before / 1000) * 1000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()); // the sign-out's receive time

        await using var stream = await SseClient.OpenAsync(query.Client.BaseAddress!, $"/v1/presence/events?ids={user}");
        var snapshot = await stream.NextAsync("the snapshot");
        Assert.Equal("snapshot", snapshot.Type);
        var entry = snapshot.Json.GetProperty("users")[0];
        Assert.False(entry.GetProperty("online").GetBoolean());
        Assert.Equal(seen, LastSeen(entry));
    }
}
