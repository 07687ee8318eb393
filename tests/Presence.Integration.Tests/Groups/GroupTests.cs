using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Presence.Core;
using Presence.Core.Groups;
using Presence.Core.LastSeen;
using Presence.Integration.Tests.Ingest;
using Presence.Integration.Tests.Query;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Groups;

/// <summary>The group suite on one redis-server.</summary>
[Collection(RedisCollection.Name)]
public sealed class GroupRedisTests(RedisFixture redis) : GroupSuite(redis.Server.Configuration);

/// <summary>The same suite, unchanged, on a three-master Redis Cluster (groups and their members' keys over many slots).</summary>
[Collection(RedisCollection.Name)]
public sealed class GroupClusterTests(RedisClusterFixture cluster) : GroupSuite(cluster.Cluster.Configuration, cluster.Cluster), IClassFixture<RedisClusterFixture>;

/// <summary>The same suite on the embedded Garnet, the zero-install default store (its Lua runs the membership scripts).</summary>
[Collection(RedisCollection.Name)]
public sealed class GroupGarnetTests(GroupSuiteBase.Garnet garnet) : GroupSuite(garnet.Store.Configuration), IClassFixture<GroupSuiteBase.Garnet>;

/// <summary>
/// docs/HTTP-API.md, "Groups", over real HTTP against a real store: membership only with an admin key, group presence
/// and counts that agree with the batch routes, the limits' problems, and a user with several devices (each a real
/// ingester's heartbeats) online while any device is.
/// </summary>
public abstract class GroupSuite(string store, RedisCluster? cluster = null) : GroupSuiteBase(store, cluster)
{
    private ConnectionMultiplexer _mux = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _mux = await ConnectionMultiplexer.ConnectAsync(Store);
    }

    public override async Task DisposeAsync()
    {
        await _mux.DisposeAsync();
        await base.DisposeAsync();
    }

    private static async Task<HttpResponseMessage> Send(QueryHost query, HttpMethod method, string path, string? json = null, string? key = Admin)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return await query.Client.SendAsync(request);
    }

    private static async Task<JsonElement> Ok(HttpResponseMessage response)
    {
        using (response)
        {
            var body = await QueryHost.Json(response);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
            return body;
        }
    }

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        using (response)
        {
            var body = await QueryHost.Json(response);
            Assert.True(response.StatusCode == status, $"expected {(int)status} {type}, got {(int)response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("urn:presence:problem:" + type, body.GetProperty("type").GetString());
        }
    }

    private void Online(string prefix, ulong id, long receivedMs) =>
        Assert.True(_mux.GetDatabase().StringSet(IngestTestHost.Key(prefix, id), receivedMs, TimeSpan.FromMinutes(1)));

    private static string[] Ids(JsonElement users) => [.. users.EnumerateArray().Select(u => u.GetProperty("id").GetString()!)];

    [Fact]
    public async Task Membership_OnlyWithAnAdminKey_RefusedWritesChangeNothing()
    {
        var prefix = TestKeys.Prefix();
        await using var query = await Start(prefix);
        await Ok(await Send(query, HttpMethod.Put, "/v1/groups/room-1", """{"ids":[1,2]}"""));

        foreach (var key in new[] { null, Reader, "admin-2" })
        {
            var expected = key == Reader ? HttpStatusCode.Forbidden : HttpStatusCode.Unauthorized;
            var type = key == Reader ? "forbidden" : "unauthorized";
            await AssertProblem(await Send(query, HttpMethod.Put, "/v1/groups/room-1", """{"ids":[9]}""", key), expected, type);
            await AssertProblem(await Send(query, HttpMethod.Post, "/v1/groups/room-1/members", """{"add":[9]}""", key), expected, type);
            await AssertProblem(await Send(query, HttpMethod.Delete, "/v1/groups/room-1", key: key), expected, type);
        }
        // A read key reads; the group is as the admin wrote it.
        var size = await Ok(await Send(query, HttpMethod.Get, "/v1/groups/room-1", key: Reader));
        Assert.Equal(2, size.GetProperty("members").GetInt32());
        var page = await Ok(await Send(query, HttpMethod.Get, "/v1/groups/room-1/presence", key: Reader));
        Assert.Equal(["1", "2"], Ids(page.GetProperty("users")));

        // Without --admin-keys the membership routes are closed to everyone.
        await using var closed = await QueryHost.StartAsync(Store, prefix, o => o.ApiKeys = ReadKeys);
        await AssertProblem(await Send(closed, HttpMethod.Put, "/v1/groups/room-1", """{"ids":[9]}""", Reader), HttpStatusCode.Forbidden, "forbidden");
        await AssertProblem(await Send(closed, HttpMethod.Delete, "/v1/groups/room-1", key: Admin), HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal(2, (await Ok(await Send(query, HttpMethod.Get, "/v1/groups/room-1"))).GetProperty("members").GetInt32());
    }

    [Fact]
    public async Task Membership_ReplaceChangeDelete_AsTheContractSays()
    {
        var prefix = TestKeys.Prefix();
        await using var query = await Start(prefix);

        var put = await Ok(await Send(query, HttpMethod.Put, "/v1/groups/team.a", """{"ids":[3,"1",2,2,"18446744073709551615"]}"""));
        Assert.Equal("team.a", put.GetProperty("name").GetString());
        Assert.Equal(4, put.GetProperty("members").GetInt32()); // the repeated 2 counts once
        // Remove first, then add: 3 removed and added again stays; 1 leaves; 5 joins; 7 was never a member.
        var changed = await Ok(await Send(query, HttpMethod.Post, "/v1/groups/team.a/members", """{"remove":[1,3,7],"add":[3,5,5]}"""));
        Assert.Equal(4, changed.GetProperty("members").GetInt32());
        var page = await Ok(await Send(query, HttpMethod.Get, "/v1/groups/team.a/presence"));
        Assert.Equal(["2", "3", "5", "18446744073709551615"], Ids(page.GetProperty("users"))); // ascending by id, not by text

        // Stored compactly: one sorted set of 8-byte members under the group's own hash tag.
        var key = new GroupKeys(prefix).KeyOf("team.a");
        Assert.Equal(RedisType.SortedSet, await _mux.GetDatabase().KeyTypeAsync(key));
        Assert.All(await _mux.GetDatabase().SortedSetRangeByRankAsync(key), m => Assert.Equal(8, ((byte[])m!).Length));

        // POST creates; a group emptied, replaced by nothing or deleted does not exist.
        Assert.Equal(1, (await Ok(await Send(query, HttpMethod.Post, "/v1/groups/new/members", """{"add":[42]}"""))).GetProperty("members").GetInt32());
        Assert.Equal(0, (await Ok(await Send(query, HttpMethod.Post, "/v1/groups/new/members", """{"remove":[42]}"""))).GetProperty("members").GetInt32());
        await AssertProblem(await Send(query, HttpMethod.Get, "/v1/groups/new"), HttpStatusCode.NotFound, "group-not-found");
        Assert.Equal(0, (await Ok(await Send(query, HttpMethod.Put, "/v1/groups/team.a", """{"ids":[]}"""))).GetProperty("members").GetInt32());
        await AssertProblem(await Send(query, HttpMethod.Get, "/v1/groups/team.a/presence"), HttpStatusCode.NotFound, "group-not-found");
        await Ok(await Send(query, HttpMethod.Put, "/v1/groups/team.a", """{"ids":[1]}"""));
        using (var deleted = await Send(query, HttpMethod.Delete, "/v1/groups/team.a"))
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using (var again = await Send(query, HttpMethod.Delete, "/v1/groups/team.a"))
            Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        await AssertProblem(await Send(query, HttpMethod.Get, "/v1/groups/team.a"), HttpStatusCode.NotFound, "group-not-found");
        Assert.False(await _mux.GetDatabase().KeyExistsAsync(key));
    }

    [Fact]
    public async Task GroupPresence_PagesAndCounts_AgreeWithTheBatchRoutes()
    {
        var prefix = TestKeys.Prefix();
        await using var query = await Start(prefix);
        var members = Enumerable.Range(1, 250).Select(i => (ulong)(i * 7919)).ToArray(); // spread over slots
        await Ok(await Send(query, HttpMethod.Put, "/v1/groups/site:berlin", JsonSerializer.Serialize(new { ids = members.Select(m => m.ToString()) })));
        var online = members.Where((_, i) => i % 3 == 0).ToArray();
        foreach (var id in online)
            Online(prefix, id, 1_764_270_000_000 + (long)(id % 1000));
        var lastSeen = new LastSeenKeys(prefix);
        long rememberedSeconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 3600; // within --last-seen-days
        await _mux.GetDatabase().HashSetAsync(lastSeen.KeyOf(members[1]), LastSeenKeys.Field(members[1]), rememberedSeconds); // an offline one remembered

        // Every page of 40, then every page of online members only.
        foreach (var filter in new[] { "", "&online=only" })
        {
            var seen = new List<JsonElement>();
            string? cursor = null;
            int pages = 0;
            do
            {
                var page = await Ok(await Send(query, HttpMethod.Get, $"/v1/groups/site:berlin/presence?limit=40{filter}" + (cursor is null ? "" : $"&cursor={cursor}"), key: Reader));
                Assert.Equal(250, page.GetProperty("members").GetInt32());
                Assert.Equal(online.Length, page.GetProperty("online").GetInt32()); // every online member, whatever the page
                var users = page.GetProperty("users").EnumerateArray().ToList();
                Assert.InRange(users.Count, 1, 40);
                seen.AddRange(users);
                cursor = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetString();
                pages++;
            }
            while (cursor is not null && pages < 100);
            Assert.Null(cursor);
            var expected = filter == "" ? members : online;
            Assert.Equal(expected.Select(m => m.ToString()), seen.Select(u => u.GetProperty("id").GetString()));
            Assert.Equal((expected.Length + 39) / 40, pages);

            // Each entry is what the batch route answers for the same id.
            var batch = await Ok(await Send(query, HttpMethod.Post, "/v1/presence/query", JsonSerializer.Serialize(new { ids = expected.Take(200).Select(m => m.ToString()) }), Reader));
            var answers = batch.GetProperty("users").EnumerateArray().ToList();
            for (int i = 0; i < answers.Count; i++)
                Assert.Equal(answers[i].GetRawText(), seen[i].GetRawText());
        }
        var remembered = await Ok(await Send(query, HttpMethod.Get, "/v1/groups/site:berlin/presence?limit=2"));
        Assert.Equal(rememberedSeconds * 1000, remembered.GetProperty("users")[1].GetProperty("lastSeenMs").GetInt64());

        // The store work is every member for every page (7 of 40 and 3 of online members, and the last one of 2): the metric says so.
        int pagesRead = (250 + 39) / 40 + (online.Length + 39) / 40 + 1;
        await Eventually.Equal((double)pagesRead * 250, async () => PrometheusText.Sample(
            await (await Send(query, HttpMethod.Get, "/metrics", key: null)).Content.ReadAsStringAsync(), "presence_query_group_members_read_total"),
            "presence_query_group_members_read_total");
    }

    [Fact]
    public async Task ManyGroups_AggregatePresence_AgreesWithTheBatchRoutes()
    {
        var prefix = TestKeys.Prefix();
        await using var query = await Start(prefix);
        // alice has three devices, two online; bob two, none online, one remembered; carol was never written.
        await Ok(await Send(query, HttpMethod.Put, "/v1/groups/alice", """{"ids":[101,102,103]}"""));
        await Ok(await Send(query, HttpMethod.Put, "/v1/groups/bob", """{"ids":[201,202]}"""));
        Online(prefix, 101, 1_764_270_000_100);
        Online(prefix, 103, 1_764_270_000_300);
        long bobSeconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 7200;
        await _mux.GetDatabase().HashSetAsync(new LastSeenKeys(prefix).KeyOf(202), LastSeenKeys.Field(202), bobSeconds);

        var answer = await Ok(await Send(query, HttpMethod.Post, "/v1/groups/presence", """{"names":["alice","carol","bob","alice"]}""", key: Reader));

        var groups = answer.GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(["alice", "carol", "bob", "alice"], groups.Select(g => g.GetProperty("name").GetString()));
        Assert.Equal(2, answer.GetProperty("online").GetInt32()); // alice twice
        Assert.Equal("""{"name":"alice","online":true,"onlineMembers":2,"members":3,"lastSeenMs":1764270000300}""", groups[0].GetRawText());
        Assert.Equal("""{"name":"carol","online":false,"onlineMembers":0,"members":0,"lastSeenMs":null}""", groups[1].GetRawText());
        Assert.Equal($$"""{"name":"bob","online":false,"onlineMembers":0,"members":2,"lastSeenMs":{{bobSeconds * 1000}}}""", groups[2].GetRawText());
        Assert.Equal(groups[0].GetRawText(), groups[3].GetRawText());

        // The batch route over alice's devices: the same count online and the same latest time.
        var batch = await Ok(await Send(query, HttpMethod.Post, "/v1/presence/query", """{"ids":[101,102,103]}""", Reader));
        Assert.Equal(2, batch.GetProperty("online").GetInt32());
        Assert.Equal(1_764_270_000_300, batch.GetProperty("users").EnumerateArray().Max(u => u.GetProperty("lastSeenMs").ValueKind == JsonValueKind.Number ? u.GetProperty("lastSeenMs").GetInt64() : 0));
    }

    [Fact]
    public async Task Limits_AnswerTheContractsProblems_AndChangeNothing()
    {
        var prefix = TestKeys.Prefix();
        await using var query = await Start(prefix, o =>
        {
            o.MaxGroupSize = 5;
            o.MaxBatch = 3;
        });
        await Ok(await Send(query, HttpMethod.Put, "/v1/groups/g", """{"ids":[1,2,3,4]}"""));

        // Names.
        foreach (var bad in new[] { "a%20b", "caf%C3%A9", "a%2Fb", "x{y}", new string('n', 129) })
            await AssertProblem(await Send(query, HttpMethod.Get, $"/v1/groups/{bad}"), HttpStatusCode.BadRequest, "bad-group-name");
        await AssertProblem(await Send(query, HttpMethod.Put, "/v1/groups/a%20b", """{"ids":[1]}"""), HttpStatusCode.BadRequest, "bad-group-name");
        await Ok(await Send(query, HttpMethod.Put, "/v1/groups/" + new string('n', 128), """{"ids":[1]}"""));

        // Size: a write that would leave the group larger than --max-group-size changes nothing.
        await AssertProblem(await Send(query, HttpMethod.Put, "/v1/groups/g", """{"ids":[1,2,3,4,5,6]}"""), HttpStatusCode.BadRequest, "group-too-large");
        await AssertProblem(await Send(query, HttpMethod.Post, "/v1/groups/g/members", """{"add":[5,6]}"""), HttpStatusCode.BadRequest, "group-too-large");
        Assert.Equal(4, (await Ok(await Send(query, HttpMethod.Get, "/v1/groups/g"))).GetProperty("members").GetInt32());
        Assert.Equal(5, (await Ok(await Send(query, HttpMethod.Post, "/v1/groups/g/members", """{"remove":[1],"add":[5,6]}"""))).GetProperty("members").GetInt32());

        // Bodies.
        await AssertProblem(await Send(query, HttpMethod.Put, "/v1/groups/g", """{"ids":[1,"x"]}"""), HttpStatusCode.BadRequest, "bad-id");
        await AssertProblem(await Send(query, HttpMethod.Post, "/v1/groups/g/members", """{"add":[0]}"""), HttpStatusCode.BadRequest, "bad-id");
        await AssertProblem(await Send(query, HttpMethod.Post, "/v1/groups/g/members", """{}"""), HttpStatusCode.BadRequest, "no-ids");
        await AssertProblem(await Send(query, HttpMethod.Put, "/v1/groups/g", """{"members":[1]}"""), HttpStatusCode.BadRequest, "malformed-json");
        Assert.Equal(5, (await Ok(await Send(query, HttpMethod.Get, "/v1/groups/g"))).GetProperty("members").GetInt32());

        // Parameters of a group's presence.
        await AssertProblem(await Send(query, HttpMethod.Get, "/v1/groups/g/presence?limit=4"), HttpStatusCode.BadRequest, "bad-parameter");
        await AssertProblem(await Send(query, HttpMethod.Get, "/v1/groups/g/presence?limit=0"), HttpStatusCode.BadRequest, "bad-parameter");
        await AssertProblem(await Send(query, HttpMethod.Get, "/v1/groups/g/presence?online=yes"), HttpStatusCode.BadRequest, "bad-parameter");
        await AssertProblem(await Send(query, HttpMethod.Get, "/v1/groups/g/presence?cursor=abc"), HttpStatusCode.BadRequest, "bad-cursor");
        var first = await Ok(await Send(query, HttpMethod.Get, "/v1/groups/g/presence"));
        Assert.Equal(3, first.GetProperty("users").GetArrayLength()); // limit defaults to --max-batch
        Assert.Equal("4", first.GetProperty("next").GetString());

        // Many groups: names, their count, the members they hold in all.
        await AssertProblem(await Send(query, HttpMethod.Post, "/v1/groups/presence", """{"names":[]}"""), HttpStatusCode.BadRequest, "no-groups");
        await AssertProblem(await Send(query, HttpMethod.Post, "/v1/groups/presence", """{"names":["a","b","c","d"]}"""), HttpStatusCode.BadRequest, "too-many-groups");
        await AssertProblem(await Send(query, HttpMethod.Post, "/v1/groups/presence", """{"names":["a","b c"]}"""), HttpStatusCode.BadRequest, "bad-group-name");
        await AssertProblem(await Send(query, HttpMethod.Post, "/v1/groups/presence", """{"names":["a",7]}"""), HttpStatusCode.BadRequest, "bad-group-name");
        await Ok(await Send(query, HttpMethod.Put, "/v1/groups/h", """{"ids":[1]}"""));
        await AssertProblem(await Send(query, HttpMethod.Post, "/v1/groups/presence", """{"names":["g","h"]}"""), HttpStatusCode.BadRequest, "too-many-members");
        Assert.Equal(5, (await Ok(await Send(query, HttpMethod.Post, "/v1/groups/presence", """{"names":["g","g"]}"""))).GetProperty("groups")[0].GetProperty("members").GetInt32());
    }

    [Fact]
    public async Task MembershipBody_RoomForAWholeGroup_OverItIs413()
    {
        var prefix = TestKeys.Prefix();
        await using var query = await Start(prefix, o =>
        {
            o.MaxGroupSize = 5000;
            o.MaxBody = 1024;
            o.MaxBatch = 3; // names bodies may be 131 × --max-batch + 64 bytes (457 here): --max-body is the larger
        });
        var ids = Enumerable.Range(0, 5000).Select(i => (18446744073709551615UL - (ulong)i).ToString()).ToArray();
        var whole = JsonSerializer.Serialize(new { ids });
        Assert.True(whole.Length > 100_000);

        Assert.Equal(5000, (await Ok(await Send(query, HttpMethod.Put, "/v1/groups/big", whole))).GetProperty("members").GetInt32());
        var page = await Ok(await Send(query, HttpMethod.Get, "/v1/groups/big/presence?limit=1"));
        Assert.Equal(ids[^1], page.GetProperty("users")[0].GetProperty("id").GetString());
        // The read routes keep --max-body (larger here than room for --max-batch names).
        await AssertProblem(await Send(query, HttpMethod.Post, "/v1/groups/presence", "{\"names\":[\"big\"]}" + new string(' ', 2000)), HttpStatusCode.RequestEntityTooLarge, "body-too-large");

        // Over the membership limit: 413. (Small limits: a body the service refuses before reading it all must still
        // fit the sockets' buffers, or the client may see the connection close before it has sent it.)
        await using var small = await Start(prefix, o =>
        {
            o.MaxGroupSize = 100;
            o.MaxBody = 1024;
        });
        Assert.Equal(32 * 100 + 1024, small.Options.MembershipBodyLimit);
        var over = "{\"ids\":[1]}" + new string(' ', small.Options.MembershipBodyLimit);
        await AssertProblem(await Send(small, HttpMethod.Put, "/v1/groups/big", over), HttpStatusCode.RequestEntityTooLarge, "body-too-large");
        Assert.Equal(5000, (await Ok(await Send(small, HttpMethod.Get, "/v1/groups/big"))).GetProperty("members").GetInt32());
    }

    [Fact]
    public async Task UserWithSeveralDevices_OnlineWhileAnyDeviceIs_OfflineWhenTheLastStops()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(Store, prefix, o => o.TtlSeconds = 5); // both devices read online before the first beats lapse, loaded too
        await using var query = await Start(prefix);
        const ulong phone = 701, laptop = 702;
        await Ok(await Send(query, HttpMethod.Put, "/v1/groups/user-7", $$"""{"ids":[{{phone}},{{laptop}}]}"""));
        var db = _mux.GetDatabase();

        async Task<JsonElement> User() =>
            (await Ok(await Send(query, HttpMethod.Post, "/v1/groups/presence", """{"names":["user-7"]}""", key: Reader))).GetProperty("groups")[0];

        ingest.Heartbeat([phone, laptop]);
        await Eventually.Satisfy(User, u => u.GetProperty("onlineMembers").GetInt32() == 2, "both devices online", Wait);

        // The phone signs out; the laptop keeps heartbeating: the user stays online on one device.
        ingest.Heartbeat([phone], kind: RecordKind.Offline);
        using var stop = new CancellationTokenSource();
        var laptopBeats = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                ingest.Heartbeat([laptop]);
                await Task.Delay(200);
            }
        });
        await Eventually.Until(async () => !await db.KeyExistsAsync(IngestTestHost.Key(prefix, phone)), "the phone's key gone", Wait);
        var oneDevice = await User();
        Assert.True(oneDevice.GetProperty("online").GetBoolean(), oneDevice.ToString());
        Assert.Equal(1, oneDevice.GetProperty("onlineMembers").GetInt32());

        // The laptop falls silent: offline once its key expires, last seen its last heartbeat.
        stop.Cancel();
        await laptopBeats;
        long lastReceive = (long)await db.StringGetAsync(IngestTestHost.Key(prefix, laptop));
        // (The last seen is written when the ingest finds the timeout, which may come a little after the key expired.)
        var gone = await Eventually.Satisfy(User, u => !u.GetProperty("online").GetBoolean() && u.GetProperty("lastSeenMs").ValueKind == JsonValueKind.Number,
            "the user offline with a last seen", Wait);
        Assert.Equal(0, gone.GetProperty("onlineMembers").GetInt32());
        // At least the last receive read after the loop stopped (a heartbeat then in flight may be later), to the second.
        Assert.InRange(gone.GetProperty("lastSeenMs").GetInt64(), lastReceive / 1000 * 1000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }
}
