using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Presence.Core;
using Presence.Integration.Tests.Events;
using Presence.Integration.Tests.Ingest;
using Presence.Integration.Tests.Query;
using Presence.Query;
using Presence.Testing;

namespace Presence.Integration.Tests.Groups;

/// <summary>The group stream suite on one redis-server.</summary>
[Collection(RedisCollection.Name)]
public sealed class GroupStreamRedisTests(RedisFixture redis) : GroupStreamSuite(redis.Server.Configuration);

/// <summary>The same suite on a three-master Redis Cluster: groups, versions, members' keys and the events log over many slots.</summary>
[Collection(RedisCollection.Name)]
public sealed class GroupStreamClusterTests(RedisClusterFixture cluster) : GroupStreamSuite(cluster.Cluster.Configuration, cluster.Cluster), IClassFixture<RedisClusterFixture>;

/// <summary>The same suite on the embedded Garnet, the zero-install default store.</summary>
[Collection(RedisCollection.Name)]
public sealed class GroupStreamGarnetTests(GroupSuiteBase.Garnet garnet) : GroupStreamSuite(garnet.Store.Configuration), IClassFixture<GroupSuiteBase.Garnet>;

/// <summary>
/// docs/HTTP-API.md, "Group streams", over real HTTP, a real ingester's heartbeats and a real store: one group's
/// members' events with their counts, membership changes reaching open streams (written on the stream's node, and on
/// another node, seen by its once-a-second watch), resume after an event with the counts rebuilt there, the aggregate
/// stream's group online/offline, and the errors before a stream starts.
/// </summary>
public abstract class GroupStreamSuite(string store, RedisCluster? cluster = null) : GroupSuiteBase(store, cluster)
{
    private static async Task<JsonElement> Write(QueryHost query, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Admin);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await query.Client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response.StatusCode == HttpStatusCode.NoContent ? default : await QueryHost.Json(response);
    }

    /// <summary>One group's stream, the read key as <c>?access_token=</c> (what EventSource must do).</summary>
    private static Task<SseClient> Group(QueryHost query, string name, string? lastEventId = null, string more = "") =>
        SseClient.OpenAsync(query.Client.BaseAddress!, $"/v1/groups/{name}/events?access_token={Reader}{more}", lastEventId);

    private static Task<SseClient> Groups(QueryHost query, string names, string? lastEventId = null) =>
        SseClient.OpenAsync(query.Client.BaseAddress!, $"/v1/groups/events?access_token={Reader}", lastEventId, postJson: $$"""{"names":[{{names}}]}""");

    private static async Task<SseEvent> Next(SseClient stream, string what) => await stream.NextAsync(what, Wait);

    /// <summary>An id stream over <paramref name="ids"/>, past its snapshot: to send one change after the other (the log's order is the ingest's, not the send's, within one flush).</summary>
    private static async Task<SseClient> Observer(QueryHost query, string ids)
    {
        var observer = await SseClient.OpenAsync(query.Client.BaseAddress!, $"/v1/presence/events?ids={ids}&access_token={Reader}");
        await Next(observer, "the observer's snapshot");
        return observer;
    }

    /// <summary>Sends one heartbeat or sign-out and waits until the log has it.</summary>
    private static async Task Step(IngestTestHost ingest, SseClient observer, ulong user, bool online)
    {
        ingest.Heartbeat([user], kind: online ? RecordKind.Heartbeat : RecordKind.Offline);
        var seen = await Next(observer, $"{user} {(online ? "online" : "offline")} in the log");
        Assert.Equal((online ? "online" : "offline", user), (seen.Type, seen.User));
    }

    private static (string Type, string Id, int Count) Member(SseEvent e) =>
        (e.Type, e.Json.GetProperty("id").GetString()!, e.Json.TryGetProperty("count", out var c) ? c.GetInt32() : -1);

    private static (string Type, string Name, string? Reason) GroupEvent(SseEvent e) =>
        (e.Type, e.Json.GetProperty("name").GetString()!, e.Reason);

    [Fact]
    public async Task OneGroup_MembersEventsCarryTheCount_MembershipChangesReachTheOpenStream()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(Store, prefix);
        await using var query = await Start(prefix);
        await Write(query, HttpMethod.Put, "/v1/groups/room-1", """{"ids":[1,2,3]}""");
        await using var stream = await Group(query, "room-1");

        var snapshot = await Next(stream, "the snapshot");
        Assert.Equal("snapshot", snapshot.Type);
        Assert.Equal("""{"name":"room-1","members":3,"online":0,"users":[]}""", snapshot.Data);
        await Eventually.Equal(1.0, async () => PrometheusText.Sample(await query.Client.GetStringAsync("/metrics"), "presence_event_watched_groups"),
            "presence_event_watched_groups", Wait);

        ingest.Heartbeat([1]);
        Assert.Equal(("online", "1", 1), Member(await Next(stream, "1 online")));
        ingest.Heartbeat([2]);
        Assert.Equal(("online", "2", 2), Member(await Next(stream, "2 online")));

        // remove 2 (online), add 4 (offline): at one point of the stream, removals first, with the counts after each.
        await Write(query, HttpMethod.Post, "/v1/groups/room-1/members", """{"add":[4],"remove":[2]}""");
        var removed = await Next(stream, "member_removed 2");
        Assert.Equal(("member_removed", """{"id":"2","members":2,"count":1}"""), (removed.Type, removed.Data));
        var added = await Next(stream, "member_added 4");
        Assert.Equal(("member_added", """{"id":"4","online":false,"lastSeenMs":null,"members":3,"count":1}"""), (added.Type, added.Data));
        Assert.Null(removed.Id); // one change, one id, on its last event: a client cut off inside it resumes before it
        Assert.NotNull(added.Id);
        Assert.NotEqual(snapshot.Id![(snapshot.Id!.LastIndexOf('.') + 1)..], added.Id![(added.Id!.LastIndexOf('.') + 1)..]);

        // 2 is no member now: its sign-out is not the stream's; 4's heartbeat and 1's sign-out are.
        ingest.Heartbeat([2], kind: RecordKind.Offline);
        ingest.Heartbeat([4]);
        Assert.Equal(("online", "4", 2), Member(await Next(stream, "4 online")));
        ingest.Heartbeat([1], kind: RecordKind.Offline);
        var signout = await Next(stream, "1 signs out");
        Assert.Equal(("offline", "1", 1), Member(signout));
        Assert.Equal("signout", signout.Reason);

        // The stream's count is the group presence route's (which reads the keys: waited for, a key may lag its line).
        await Eventually.Equal(1, async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/groups/room-1/presence");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Reader);
            using var response = await query.Client.SendAsync(request);
            return (await QueryHost.Json(response)).GetProperty("online").GetInt32();
        }, "the group presence route's online count", Wait);

        await Write(query, HttpMethod.Delete, "/v1/groups/room-1");
        var gone = new[] { await Next(stream, "member_removed 1"), await Next(stream, "member_removed 3"), await Next(stream, "member_removed 4") };
        Assert.Equal(
            ["""{"id":"1","members":2,"count":1}""", """{"id":"3","members":1,"count":1}""", """{"id":"4","members":0,"count":0}"""],
            gone.Select(e => e.Data));
        Assert.All(gone, e => Assert.Equal("member_removed", e.Type));
        Assert.Equal([false, false, true], gone.Select(e => e.Id is not null));
    }

    [Fact]
    public async Task OneGroup_MembershipWrittenOnAnotherNode_ReachesTheStream()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(Store, prefix);
        await using var watched = await Start(prefix);
        await using var writer = await Start(prefix);
        await Write(writer, HttpMethod.Put, "/v1/groups/team", """{"ids":[11]}""");
        await using (var observer = await Observer(watched, "12"))
            await Step(ingest, observer, 12, online: true);
        await using var stream = await Group(watched, "team");
        Assert.Equal("""{"name":"team","members":1,"online":0,"users":[]}""", (await Next(stream, "the snapshot")).Data);

        // Only the other node knows of the write: the watching node's poll of the version finds it.
        await Write(writer, HttpMethod.Post, "/v1/groups/team/members", """{"add":[12]}""");
        var added = await Next(stream, "member_added 12, written on the other node");
        Assert.Equal("member_added", added.Type);
        Assert.Equal("12", added.Json.GetProperty("id").GetString());
        Assert.True(added.Json.GetProperty("online").GetBoolean(), added.Data);
        Assert.Equal((2, 1), (added.Json.GetProperty("members").GetInt32(), added.Json.GetProperty("count").GetInt32()));
    }

    [Fact]
    public async Task OneGroup_ResumeAfterAnEvent_SendsWhatFollowedWithTheCountsRebuilt_ChangedMembershipGetsASnapshot()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(Store, prefix);
        await using var query = await Start(prefix);
        await Write(query, HttpMethod.Put, "/v1/groups/fleet", """{"ids":[21,22,23]}""");
        string resumeAfter;
        await using (var first = await Group(query, "fleet"))
        {
            await Next(first, "the snapshot");
            ingest.Heartbeat([21]);
            Assert.Equal(("online", "21", 1), Member(await Next(first, "21 online")));
            ingest.Heartbeat([22]);
            var online = await Next(first, "22 online");
            Assert.Equal(("online", "22", 2), Member(online));
            resumeAfter = online.Id!;
        }

        // While nobody listens: 21 signs out, 23 comes online, 22 signs out (the log's state now is not the one at the id).
        await using (var observer = await Observer(query, "21,22,23"))
        {
            await Step(ingest, observer, 21, online: false);
            await Step(ingest, observer, 23, online: true);
            await Step(ingest, observer, 22, online: false);
        }
        await using (var resumed = await Group(query, "fleet", resumeAfter))
        {
            var events = new[] { await Next(resumed, "21's sign-out, resumed"), await Next(resumed, "23 online, resumed"), await Next(resumed, "22's sign-out, resumed") };
            Assert.Equal([("offline", "21", 1), ("online", "23", 2), ("offline", "22", 1)], events.Select(Member));
            Assert.Empty(resumed.OfType("snapshot"));
        }

        // The membership changed since that event: the resume starts with a fresh snapshot of the new members.
        await Write(query, HttpMethod.Post, "/v1/groups/fleet/members", """{"remove":[22]}""");
        await using var after = await Group(query, "fleet", resumeAfter);
        var snapshot = await Next(after, "a snapshot: the membership is another");
        Assert.Equal("snapshot", snapshot.Type);
        var json = snapshot.Json;
        Assert.Equal((2, 1, "23"), (json.GetProperty("members").GetInt32(), json.GetProperty("online").GetInt32(), json.GetProperty("users")[0].GetProperty("id").GetString()));
    }

    [Fact]
    public async Task ManyGroups_OnlineAtTheFirstMember_OfflineAtTheLast_MembershipTurnsThem_Resumes()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(Store, prefix);
        await using var query = await Start(prefix);
        await Write(query, HttpMethod.Put, "/v1/groups/alice", """{"ids":[31,32]}""");
        await Write(query, HttpMethod.Put, "/v1/groups/bob", """{"ids":[33]}""");
        await using var stream = await Groups(query, "\"alice\",\"bob\",\"alice\",\"carol\"");
        var snapshot = await Next(stream, "the snapshot");
        Assert.Equal("snapshot", snapshot.Type);
        Assert.Equal(["alice", "bob", "carol"], snapshot.Json.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("name").GetString()));
        Assert.Equal(0, snapshot.Json.GetProperty("online").GetInt32());

        await using var observer = await Observer(query, "31,32,33");
        await Step(ingest, observer, 31, online: true);
        Assert.Equal(("online", "alice", null), GroupEvent(await Next(stream, "alice online at her first device")));
        await Step(ingest, observer, 32, online: true);
        await Step(ingest, observer, 31, online: false);
        ingest.Heartbeat([33]);
        // alice's second device and first sign-out change nothing at the group level: bob's online comes next.
        var bob = await Next(stream, "bob online");
        Assert.Equal(("online", "bob", null), GroupEvent(bob));
        ingest.Heartbeat([32], kind: RecordKind.Offline);
        Assert.Equal(("offline", "alice", "signout"), GroupEvent(await Next(stream, "alice offline at her last device")));

        // Membership: bob loses his only online device; carol gets one that is online.
        await Write(query, HttpMethod.Put, "/v1/groups/bob", """{"ids":[34]}""");
        Assert.Equal(("offline", "bob", "membership"), GroupEvent(await Next(stream, "bob offline by membership")));
        await Write(query, HttpMethod.Put, "/v1/groups/carol", """{"ids":[33]}""");
        Assert.Equal(("online", "carol", null), GroupEvent(await Next(stream, "carol online by membership")));

        // A resume after bob's online (before any membership change) would cross them: a fresh snapshot.
        await using (var crossed = await Groups(query, "\"alice\",\"bob\",\"carol\"", bob.Id))
            Assert.Equal("snapshot", (await Next(crossed, "a snapshot: the memberships changed")).Type);

        // A resume after the last event, with the same names, sends what followed: alice online again.
        string last = stream.LastEventId!;
        ingest.Heartbeat([31]);
        await Next(stream, "alice online again");
        await using var resumed = await Groups(query, "\"carol\",\"alice\",\"bob\"", last);
        Assert.Equal(("online", "alice", null), GroupEvent(await Next(resumed, "alice online, resumed")));
        Assert.Empty(resumed.OfType("snapshot"));
    }

    [Fact]
    public async Task Debounced_MembershipChange_SendsANewSnapshot()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(Store, prefix);
        await using var query = await Start(prefix);
        await Write(query, HttpMethod.Put, "/v1/groups/site", """{"ids":[41]}""");
        await using (var observer = await Observer(query, "42"))
            await Step(ingest, observer, 42, online: true);
        await using var stream = await Group(query, "site", more: "&debounce=2");
        Assert.Equal("snapshot", (await Next(stream, "the snapshot")).Type);
        await Write(query, HttpMethod.Post, "/v1/groups/site/members", """{"add":[42]}""");
        var again = await Next(stream, "a new snapshot");
        Assert.Equal("snapshot", again.Type);
        Assert.Equal((2, 1), (again.Json.GetProperty("members").GetInt32(), again.Json.GetProperty("online").GetInt32()));
        Assert.Equal(5, again.Id!.Split('.')[0].Split('-').Length); // a debounced stream's id, then the fingerprint
    }

    [Fact]
    public async Task Errors_BeforeTheStreamStarts_AreTheContractsProblems()
    {
        var prefix = TestKeys.Prefix();
        await using var query = await Start(prefix, o => o.MaxGroupSize = 3);
        await Write(query, HttpMethod.Put, "/v1/groups/big", """{"ids":[1,2,3]}""");
        await Write(query, HttpMethod.Put, "/v1/groups/small", """{"ids":[4]}""");

        async Task Problem(HttpMethod method, string path, string? json, HttpStatusCode status, string type, string? key = Reader)
        {
            using var request = new HttpRequestMessage(method, path);
            if (key is not null)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            if (json is not null)
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            using var response = await query.Client.SendAsync(request);
            var body = await QueryHost.Json(response);
            Assert.True(response.StatusCode == status, $"{method} {path}: expected {(int)status}, got {(int)response.StatusCode}: {body}");
            Assert.Equal("urn:presence:problem:" + type, body.GetProperty("type").GetString());
        }

        await Problem(HttpMethod.Get, "/v1/groups/room%201/events", null, HttpStatusCode.BadRequest, "bad-group-name");
        await Problem(HttpMethod.Get, "/v1/groups/big/events?debounce=61", null, HttpStatusCode.BadRequest, "bad-debounce");
        await Problem(HttpMethod.Get, "/v1/groups/big/events", null, HttpStatusCode.Unauthorized, "unauthorized", key: null);
        await Problem(HttpMethod.Get, $"/v1/groups/big/events?access_token={Admin}x", null, HttpStatusCode.Unauthorized, "unauthorized", key: null);
        await Problem(HttpMethod.Post, "/v1/groups/events", """{"names":[]}""", HttpStatusCode.BadRequest, "no-groups");
        await Problem(HttpMethod.Post, "/v1/groups/events", """{"names":["ok","no way"]}""", HttpStatusCode.BadRequest, "bad-group-name");
        await Problem(HttpMethod.Post, "/v1/groups/events", """{"names":["big","small"]}""", HttpStatusCode.BadRequest, "too-many-members");
        await Problem(HttpMethod.Post, "/v1/groups/events?debounce=x", """{"names":["big"]}""", HttpStatusCode.BadRequest, "bad-debounce");
        var tooMany = string.Join(",", Enumerable.Range(0, QueryOptions.DefaultMaxBatch + 1).Select(i => $"\"g{i}\""));
        await Problem(HttpMethod.Post, "/v1/groups/events", $$"""{"names":[{{tooMany}}]}""", HttpStatusCode.BadRequest, "too-many-groups");

        // --max-batch names of the longest length fit a body, past --max-body (64 KiB): on both many-groups routes.
        var longest = string.Join(",", Enumerable.Range(0, QueryOptions.DefaultMaxBatch).Select(i => $"\"{i:D6}{new string('n', 122)}\""));
        Assert.True(longest.Length > QueryOptions.DefaultMaxBody, $"{longest.Length} bytes");
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/groups/presence") { Content = new StringContent($$"""{"names":[{{longest}}]}""", Encoding.UTF8, "application/json") })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Reader);
            using var response = await query.Client.SendAsync(request);
            var body = await QueryHost.Json(response);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
            Assert.Equal(QueryOptions.DefaultMaxBatch, body.GetProperty("groups").GetArrayLength());
        }
        await using (var many = await Groups(query, longest))
            Assert.Equal(QueryOptions.DefaultMaxBatch, (await Next(many, "the snapshot of 1,000 long names")).Json.GetProperty("groups").GetArrayLength());

        // A name with no members opens a stream too (its members may come later).
        await using var empty = await Group(query, "nobody-yet");
        Assert.Equal("""{"name":"nobody-yet","members":0,"online":0,"users":[]}""", (await Next(empty, "an empty group's snapshot")).Data);
        await Write(query, HttpMethod.Put, "/v1/groups/nobody-yet", """{"ids":[9]}""");
        Assert.Equal("""{"id":"9","online":false,"lastSeenMs":null,"members":1,"count":0}""", (await Next(empty, "its first member")).Data);
    }
}
