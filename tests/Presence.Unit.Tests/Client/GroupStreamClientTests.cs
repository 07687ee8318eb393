using System.Net;
using Presence.Client;

namespace Presence.Unit.Tests.Client;

/// <summary>
/// PresenceClient's group streams (docs/HTTP-API.md, "group streams") against canned event streams from a scripted
/// <see cref="HttpMessageHandler"/> (no socket): the requests they build, every event type read, a dropped stream
/// resumed with <c>Last-Event-ID</c> and the same debounce, arguments the service would refuse refused before any
/// request, and events outside the contract thrown. The real service: tests/Presence.Integration.Tests/Clients.
/// </summary>
public sealed class GroupStreamClientTests
{
    private static readonly Uri s_base = new("http://presence.test/api/");

    private const string Snapshot = """
        event: snapshot
        data: {"name":"room-1","members":3,"online":2,"users":[{"id":"5","online":true,"lastSeenMs":1764270000123},{"id":"18446744073709551615","online":true,"lastSeenMs":1764270000456}]}


        """;

    private static PresenceClient Client(ScriptedHandler handler, PresenceClientOptions? options = null) =>
        new(new HttpClient(handler), s_base, options ?? new PresenceClientOptions { ReconnectDelay = TimeSpan.Zero });

    private static async Task<List<T>> Take<T>(IAsyncEnumerable<T> stream, int count)
    {
        // Bounded: a client that waited for more than the script holds would otherwise hang the run.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var events = new List<T>();
        await foreach (var e in stream.WithCancellation(deadline.Token))
        {
            events.Add(e);
            if (events.Count == count)
                break;
        }
        return events;
    }

    [Fact]
    public async Task WatchGroupAsync_ReadsEveryEventType_SkipsUnknownOnes()
    {
        var handler = new ScriptedHandler((HttpStatusCode.OK, Snapshot + """
            : keepalive

            id: 7.1
            event: online
            data: {"id":"9","at":1764270001000,"count":3}

            id: 8.1
            event: offline
            data: {"id":"5","at":1764270031000,"reason":"timeout","count":2}

            id: 9.1
            event: offline
            data: {"id":"9","at":1764270032000,"reason":"signout","count":1}

            id: 9.2
            event: member_removed
            data: {"id":"9","members":2,"count":1}

            id: 9.2
            event: member_added
            data: {"id":"11","online":true,"lastSeenMs":1764270033000,"members":3,"count":2}

            id: 9.2
            event: member_added
            data: {"id":"12","online":false,"lastSeenMs":null,"members":4,"count":2}

            id: 9.3
            event: something-newer
            data: {}

            id: 10.3
            event: member_removed
            data: {"id":"11","members":3,"count":1}


            """));
        using var client = Client(handler, new PresenceClientOptions { ApiKey = "read-key" });

        var events = await Take(client.WatchGroupAsync("room-1"), 8);

        Assert.Equal<GroupEvent>(
        [
            new GroupSnapshot(null, "room-1", 3, 2, events[0] is GroupSnapshot s ? s.Users : []),
            new MemberOnline("7.1", 9, 1764270001000, 3),
            new MemberOffline("8.1", 5, 1764270031000, OfflineReason.Timeout, 2),
            new MemberOffline("9.1", 9, 1764270032000, OfflineReason.SignOut, 1),
            new MemberRemoved("9.2", 9, 2, 1),
            new MemberAdded("9.2", 11, true, 1764270033000, 3, 2),
            new MemberAdded("9.2", 12, false, null, 4, 2),
            new MemberRemoved("10.3", 11, 3, 1),
        ], events);
        Assert.Equal([new UserPresence(5, true, 1764270000123), new UserPresence(ulong.MaxValue, true, 1764270000456)],
            Assert.IsType<GroupSnapshot>(events[0]).Users);
        Assert.Equal(("GET", "/api/v1/groups/room-1/events", "Bearer read-key", (string?)null), Assert.Single(handler.Requests));
        Assert.Equal([(string?)null], handler.LastEventIds);
    }

    [Fact]
    public async Task WatchGroupAsync_ADroppedStream_ResumesWithTheLastEventIdAndTheSameDebounce()
    {
        var handler = new ScriptedHandler(
            (HttpStatusCode.OK, Snapshot + "id: 7.1\nevent: online\ndata: {\"id\":\"9\",\"at\":1,\"count\":3}\n\n"),
            ScriptedHandler.Problem(HttpStatusCode.ServiceUnavailable, PresenceProblemTypes.StoreUnavailable),
            (HttpStatusCode.OK, "id: 8.1\r\nevent: offline\r\ndata: {\"id\":\"9\",\"at\":2,\"reason\":\"signout\",\"count\":2}\r\n\r\n"));
        using var client = Client(handler);

        var events = await Take(client.WatchGroupAsync("room-1", "6.1", TimeSpan.FromSeconds(10)), 3);

        // A snapshot without an id keeps the last one, here the id the stream resumed from (the SSE standard's last event id).
        Assert.Equal(["6.1", "7.1", "8.1"], events.Select(e => e.EventId));
        Assert.IsType<MemberOffline>(events[2]);
        // The first connection resumes from the id given; the retry the 503 refused and the resume from the last id read.
        Assert.Equal(["6.1", "7.1", "7.1"], handler.LastEventIds);
        Assert.All(handler.Requests, r => Assert.Equal(("GET", "/api/v1/groups/room-1/events?debounce=10"), (r.Method, r.PathAndQuery)));
        Assert.Equal(3, handler.Requests.Count);
    }

    [Fact]
    public async Task WatchGroupAsync_ProblemBeforeTheStream_ThrowsIt()
    {
        // A service without group streams answers their routes 404 not-found: thrown, never read as an empty group.
        var handler = new ScriptedHandler(ScriptedHandler.Problem(HttpStatusCode.NotFound, PresenceProblemTypes.NotFound));
        using var client = Client(handler);

        var e = await Assert.ThrowsAsync<PresenceApiException>(() => Take(client.WatchGroupAsync("room-1"), 1));

        Assert.Equal((HttpStatusCode.NotFound, PresenceProblemTypes.NotFound), (e.Status, e.Type));
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task WatchGroupsAsync_PostsTheNames_ReadsEveryEventType()
    {
        var handler = new ScriptedHandler((HttpStatusCode.OK, """
            event: snapshot
            data: {"groups":[{"name":"alice","online":true,"onlineMembers":2,"members":3,"lastSeenMs":1764270000123},{"name":"bob","online":false,"onlineMembers":0,"members":0,"lastSeenMs":null}],"online":1}

            id: 7.4
            event: offline
            data: {"name":"alice","at":1764270031000,"reason":"timeout"}

            id: 8.4
            event: online
            data: {"name":"bob","at":1764270032000}

            id: 9.5
            event: offline
            data: {"name":"bob","at":1764270033000,"reason":"membership"}

            id: 10.5
            event: something-newer
            data: {}

            id: 11.5
            event: offline
            data: {"name":"alice","at":1764270034000,"reason":"signout"}


            """));
        using var client = Client(handler, new PresenceClientOptions { ApiKey = "read-key" });

        var events = await Take(client.WatchGroupsAsync(["alice", "bob", "alice"]), 5);

        var snapshot = Assert.IsType<GroupsSnapshot>(events[0]);
        Assert.Equal([new GroupPresence("alice", true, 2, 3, 1764270000123), new GroupPresence("bob", false, 0, 0, null)], snapshot.Groups);
        Assert.Equal((null, 1L), (snapshot.EventId, snapshot.Online));
        Assert.Equal<GroupsEvent>(
        [
            new GroupOffline("7.4", "alice", 1764270031000, OfflineReason.Timeout),
            new GroupOnline("8.4", "bob", 1764270032000),
            new GroupOffline("9.5", "bob", 1764270033000, OfflineReason.Membership),
            new GroupOffline("11.5", "alice", 1764270034000, OfflineReason.SignOut),
        ], events.Skip(1));
        Assert.Equal(("POST", "/api/v1/groups/events", "Bearer read-key", """{"names":["alice","bob","alice"]}"""), Assert.Single(handler.Requests));
    }

    [Fact]
    public async Task WatchGroupsAsync_ADroppedStream_ResumesWithTheLastEventIdTheSameNamesAndDebounce()
    {
        var handler = new ScriptedHandler(
            (HttpStatusCode.OK, "event: snapshot\ndata: {\"groups\":[{\"name\":\"a\",\"online\":false,\"onlineMembers\":0,\"members\":1,\"lastSeenMs\":null}],\"online\":0}\n\n"
                + "id: 1.1\nevent: online\ndata: {\"name\":\"a\",\"at\":5}\n\n"),
            ScriptedHandler.Problem(HttpStatusCode.TooManyRequests, PresenceProblemTypes.RateLimited),
            (HttpStatusCode.OK, "id: 2.1\nevent: offline\ndata: {\"name\":\"a\",\"at\":6,\"reason\":\"timeout\"}\n\n"));
        using var client = Client(handler);

        var events = await Take(client.WatchGroupsAsync(["a"], debounce: TimeSpan.FromSeconds(60)), 3);

        Assert.Equal([null, "1.1", "2.1"], events.Select(e => e.EventId));
        Assert.Equal([null, "1.1", "1.1"], handler.LastEventIds);
        Assert.Equal(3, handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.Equal(("POST", "/api/v1/groups/events?debounce=60", """{"names":["a"]}"""), (r.Method, r.PathAndQuery, r.Body)));
    }

    [Theory]
    // One group: a snapshot of another group, with an offline member, out of id order, counting other than its users.
    [InlineData("snapshot", """{"name":"other","members":1,"online":0,"users":[]}""")]
    [InlineData("snapshot", """{"name":"g","members":1,"online":1,"users":[{"id":"1","online":false,"lastSeenMs":null}]}""")]
    [InlineData("snapshot", """{"name":"g","members":2,"online":2,"users":[{"id":"2","online":true,"lastSeenMs":1},{"id":"1","online":true,"lastSeenMs":1}]}""")]
    [InlineData("snapshot", """{"name":"g","members":2,"online":2,"users":[{"id":"1","online":true,"lastSeenMs":1}]}""")]
    [InlineData("snapshot", """{"name":"g","online":0,"users":[]}""")]
    // Member events without what they carry, with a bad id, or a group's reason for a member.
    [InlineData("online", """{"id":"1","at":5}""")]
    [InlineData("online", """{"id":"0","at":5,"count":1}""")]
    [InlineData("offline", """{"id":"1","count":0,"reason":"timeout"}""")]
    [InlineData("offline", """{"id":"1","at":5,"count":0,"reason":"membership"}""")]
    [InlineData("member_added", """{"id":"1","online":true,"lastSeenMs":5,"count":1}""")]
    [InlineData("member_added", """{"id":"1","lastSeenMs":5,"members":1,"count":1}""")]
    [InlineData("member_removed", """{"id":"1","members":1,"count":2}""")]
    [InlineData("member_removed", """{"id":"1","count":0}""")]
    [InlineData("member_removed", """not json""")]
    public async Task WatchGroupAsync_AnEventOutsideTheContract_Throws(string type, string data)
    {
        using var client = Client(new ScriptedHandler((HttpStatusCode.OK, $"id: 1\nevent: {type}\ndata: {data}\n\n")));

        var e = await Assert.ThrowsAsync<PresenceException>(() => Take(client.WatchGroupAsync("g"), 1));

        Assert.IsNotType<PresenceApiException>(e);
    }

    [Theory]
    // Many groups: a snapshot missing a distinct name, out of order, counting other than its online groups.
    [InlineData("snapshot", """{"groups":[{"name":"a","online":false,"onlineMembers":0,"members":0,"lastSeenMs":null}],"online":0}""")]
    [InlineData("snapshot", """{"groups":[{"name":"b","online":false,"onlineMembers":0,"members":0,"lastSeenMs":null},{"name":"a","online":false,"onlineMembers":0,"members":0,"lastSeenMs":null}],"online":0}""")]
    [InlineData("snapshot", """{"groups":[{"name":"a","online":true,"onlineMembers":1,"members":1,"lastSeenMs":1},{"name":"b","online":false,"onlineMembers":0,"members":0,"lastSeenMs":null}],"online":2}""")]
    // Group events for a group not watched, without at, with a reason that is none.
    [InlineData("online", """{"name":"c","at":5}""")]
    [InlineData("online", """{"name":"a"}""")]
    [InlineData("offline", """{"name":"a","at":5,"reason":"gone"}""")]
    [InlineData("offline", """{"name":"a","at":5}""")]
    public async Task WatchGroupsAsync_AnEventOutsideTheContract_Throws(string type, string data)
    {
        using var client = Client(new ScriptedHandler((HttpStatusCode.OK, $"id: 1\nevent: {type}\ndata: {data}\n\n")));

        var e = await Assert.ThrowsAsync<PresenceException>(() => Take(client.WatchGroupsAsync(["a", "b", "a"]), 1));

        Assert.IsNotType<PresenceApiException>(e);
    }

    [Fact]
    public async Task WatchAsync_AGroupsMembershipReason_IsNoUsersReason_Throws()
    {
        // Membership is a group's reason only: the id stream keeps refusing any reason but timeout and signout.
        using var client = Client(new ScriptedHandler((HttpStatusCode.OK, "id: 1\nevent: offline\ndata: {\"id\":\"1\",\"at\":5,\"reason\":\"membership\"}\n\n")));

        var e = await Assert.ThrowsAsync<PresenceException>(() => Take(client.WatchAsync([1UL]), 1));

        Assert.Contains("reason 'membership'", e.Message);
    }

    public static TheoryData<string, Func<PresenceClient, Task>> Refused => new()
    {
        { "name", c => Take(c.WatchGroupAsync("a b"), 1) },
        { "name", c => Take(c.WatchGroupAsync(".."), 1) },
        { "name", c => Take(c.WatchGroupAsync(new string('x', 129)), 1) },
        { "name", c => Take(c.WatchGroupAsync(null!), 1) },
        { "debounce", c => Take(c.WatchGroupAsync("g", debounce: TimeSpan.FromSeconds(61)), 1) },
        { "debounce", c => Take(c.WatchGroupAsync("g", debounce: TimeSpan.FromMilliseconds(1500)), 1) },
        { "names", c => Take(c.WatchGroupsAsync([]), 1) },
        { "names", c => Take(c.WatchGroupsAsync(["ok", "not ok"]), 1) },
        { "names", c => Take(c.WatchGroupsAsync(["ok", "."]), 1) },
        { "debounce", c => Take(c.WatchGroupsAsync(["g"], debounce: TimeSpan.FromSeconds(-1)), 1) },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task WhatTheServiceWouldRefuse_ThrowsArgumentExceptionBeforeAnyRequest(string param, Func<PresenceClient, Task> call)
    {
        var handler = new ScriptedHandler();
        using var client = Client(handler);

        var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => call(client));

        Assert.Equal(param, e.ParamName);
        Assert.Empty(handler.Requests);
    }
}
