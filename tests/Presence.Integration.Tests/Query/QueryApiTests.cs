using System.Net;
using Presence.Query;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Query;

/// <summary>The endpoints of HTTP-API.md against the shared redis-server, over real HTTP.</summary>
[Collection(RedisCollection.Name)]
public sealed class QueryApiTests(RedisFixture redis) : QueryApiSuite(redis.Server.Configuration)
{
    // On one node a full batch is exactly one store command: the presence script with last seen on,
    // an MGET without (under Cluster, one MGET per slot and one HGET per id: PresenceStoreClusterTests).
    [Theory]
    [InlineData(30, "evalsha")] // last seen on: the presence script, once
    [InlineData(0, "mget")]     // off: one MGET
    public async Task Get_FullBatch_OneStoreCommand(int lastSeenDays, string command)
    {
        var prefix = TestKeys.Prefix();
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix, o =>
        {
            o.MaxBatch = 1000;
            o.LastSeenDays = lastSeenDays;
        });
        long before = CommandStats.Calls(redis.Server, command);
        long mgets = CommandStats.Calls(redis.Server, "mget"), scripts = CommandStats.Calls(redis.Server, "evalsha");

        // The largest batch, all 20-digit ids, fits the request line.
        var ids = Enumerable.Range(0, 1000).Select(i => (18446744073709550615UL + (ulong)i).ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await query.Client.GetAsync("/v1/presence?ids=" + string.Join(',', ids));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1000, (await QueryHost.Json(response)).GetProperty("users").GetArrayLength());
        Assert.Equal(before + 1, CommandStats.Calls(redis.Server, command));
        Assert.Equal(mgets + scripts + 1, CommandStats.Calls(redis.Server, "mget") + CommandStats.Calls(redis.Server, "evalsha")); // and nothing else
    }
}

/// <summary>The same suite with every read through StackExchange.Redis (<c>--store-reads multiplexer</c>) on one node.</summary>
[Collection(RedisCollection.Name)]
public sealed class QueryApiMultiplexerReadsTests(RedisFixture redis) : QueryApiSuite(redis.Server.Configuration)
{
    protected override void Configure(QueryOptions options) => options.StoreReads = QueryOptions.MultiplexerReads;
}

/// <summary>The same suite, unchanged, against a 3-master Redis Cluster (ids spread over many slots).</summary>
[Collection(RedisCollection.Name)]
public sealed class QueryApiClusterSuiteTests(RedisClusterFixture cluster)
    : QueryApiSuite(cluster.Cluster.Configuration), IClassFixture<RedisClusterFixture>;

/// <summary>The endpoints of HTTP-API.md over real HTTP, against whatever store <paramref name="store"/> names.</summary>
public abstract class QueryApiSuite(string store) : IAsyncLifetime
{
    private const string MaxId = "18446744073709551615";
    private ConnectionMultiplexer _mux = null!;

    public async Task InitializeAsync() => _mux = await ConnectionMultiplexer.ConnectAsync(store);

    public async Task DisposeAsync() => await _mux.DisposeAsync();

    /// <summary>Options a suite's variant sets on every host it starts.</summary>
    protected virtual void Configure(QueryOptions options)
    {
    }

    private Task<QueryHost> StartAsync(string prefix) => QueryHost.StartAsync(store, prefix, Configure);

    private void Online(string prefix, string id, long lastSeenMs) =>
        Assert.True(_mux.GetDatabase().StringSet(prefix + id, lastSeenMs, TimeSpan.FromMinutes(1)));

    [Fact]
    public async Task GetOne_OnlineUser_AnswersStoredLastSeen()
    {
        var prefix = TestKeys.Prefix();
        Online(prefix, "42", 1764270000123);
        await using var query = await StartAsync(prefix);

        using var response = await query.Client.GetAsync("/v1/presence/42");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"id":"42","online":true,"lastSeenMs":1764270000123}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task GetOne_OfflineUser_AnswersOfflineWithNullLastSeen()
    {
        await using var query = await StartAsync(TestKeys.Prefix());

        using var response = await query.Client.GetAsync("/v1/presence/42");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"id":"42","online":false,"lastSeenMs":null}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task GetOne_LargestId_RoundTripsExactly()
    {
        var prefix = TestKeys.Prefix();
        Online(prefix, MaxId, 1764270000001);
        await using var query = await StartAsync(prefix);

        var body = await QueryHost.Json(await query.Client.GetAsync($"/v1/presence/{MaxId}"));

        Assert.Equal(MaxId, body.GetProperty("id").GetString());
        Assert.True(body.GetProperty("online").GetBoolean());
        Assert.Equal(1764270000001, body.GetProperty("lastSeenMs").GetInt64());
    }

    [Fact]
    public async Task Get_RepeatedIds_AnsweredInRequestOrder()
    {
        var prefix = TestKeys.Prefix();
        Online(prefix, "7", 1000);
        Online(prefix, "3", 3000);
        await using var query = await StartAsync(prefix);

        var body = await QueryHost.Json(await query.Client.GetAsync("/v1/presence?ids=7,5,3,7,7,5"));

        AssertUsers(body, ("7", 1000), ("5", null), ("3", 3000), ("7", 1000), ("7", 1000), ("5", null));
        Assert.Equal(4, body.GetProperty("online").GetInt32()); // repeats count each time they appear
    }

    [Fact]
    public async Task Get_SeveralIdsParameters_ReadInOrder()
    {
        var prefix = TestKeys.Prefix();
        Online(prefix, "2", 2000);
        await using var query = await StartAsync(prefix);

        var body = await QueryHost.Json(await query.Client.GetAsync("/v1/presence?ids=1,2&ids=3"));

        AssertUsers(body, ("1", null), ("2", 2000), ("3", null));
    }

    [Fact]
    public async Task Post_NumbersAndStrings_AnsweredInRequestOrder()
    {
        var prefix = TestKeys.Prefix();
        Online(prefix, "1", 1764270000111);
        Online(prefix, "3", 1764270000333);
        await using var query = await StartAsync(prefix);

        using var response = await query.PostJson("""{"ids":[1,"2",3,"1"]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await QueryHost.Json(response);
        AssertUsers(body, ("1", 1764270000111), ("2", null), ("3", 1764270000333), ("1", 1764270000111));
        Assert.Equal(3, body.GetProperty("online").GetInt32());
    }

    [Fact]
    public async Task Post_IdsAbove2Pow53_RoundTripExactly()
    {
        // 2^53 + 1 is the first integer a double cannot hold: read through a double it would become 2^53.
        const string above = "9007199254740993";
        const string twoPow53 = "9007199254740992";
        var prefix = TestKeys.Prefix();
        Online(prefix, above, 1111);
        Online(prefix, MaxId, 2222);
        await using var query = await StartAsync(prefix);

        var body = await QueryHost.Json(await query.PostJson($$"""{"ids":[{{above}},"{{MaxId}}",{{MaxId}},{{twoPow53}}]}"""));

        AssertUsers(body, (above, 1111), (MaxId, 2222), (MaxId, 2222), (twoPow53, null));
    }

    [Fact]
    public async Task Post_OtherMembersAndEscapedStrings_AreAccepted()
    {
        var prefix = TestKeys.Prefix();
        Online(prefix, "12", 1200);
        await using var query = await StartAsync(prefix);

        var body = await QueryHost.Json(await query.PostJson("""{"client":{"name":"x"},"ids":["\u0031\u0032"],"trace":[1,2]}""", "application/json; charset=utf-8"));

        AssertUsers(body, ("12", 1200));
    }

    [Fact]
    public async Task Get_LastSeenMs_EqualsStoredValue()
    {
        var prefix = TestKeys.Prefix();
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (int i = 1; i <= 50; i++)
            Online(prefix, i.ToString(System.Globalization.CultureInfo.InvariantCulture), now - i);
        await using var query = await StartAsync(prefix);

        var body = await QueryHost.Json(await query.Client.GetAsync("/v1/presence?ids=" + string.Join(',', Enumerable.Range(1, 60))));

        var users = body.GetProperty("users").EnumerateArray().ToList();
        Assert.Equal(60, users.Count);
        for (int i = 1; i <= 60; i++)
        {
            var user = users[i - 1];
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), user.GetProperty("id").GetString());
            Assert.Equal(i <= 50, user.GetProperty("online").GetBoolean());
            if (i <= 50)
                Assert.Equal(now - i, user.GetProperty("lastSeenMs").GetInt64());
        }
        Assert.Equal(50, body.GetProperty("online").GetInt32());
    }

    [Fact]
    public async Task Healthz_Always_200()
    {
        await using var query = await StartAsync(TestKeys.Prefix());

        using var response = await query.Client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Readyz_StoreUp_200()
    {
        await using var query = await StartAsync(TestKeys.Prefix());

        using var response = await query.Client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static void AssertUsers(System.Text.Json.JsonElement body, params (string Id, long? LastSeenMs)[] expected)
    {
        var users = body.GetProperty("users").EnumerateArray().ToList();
        Assert.Equal(expected.Length, users.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            var user = users[i];
            Assert.Equal(expected[i].Id, user.GetProperty("id").GetString());
            Assert.Equal(expected[i].LastSeenMs is not null, user.GetProperty("online").GetBoolean());
            var lastSeen = user.GetProperty("lastSeenMs");
            if (expected[i].LastSeenMs is long ms)
                Assert.Equal(ms, lastSeen.GetInt64());
            else
                Assert.Equal(System.Text.Json.JsonValueKind.Null, lastSeen.ValueKind);
        }
    }
}
