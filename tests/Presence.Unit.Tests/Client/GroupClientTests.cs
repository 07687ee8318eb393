using System.Net;
using Presence.Client;

namespace Presence.Unit.Tests.Client;

/// <summary>
/// PresenceClient's group methods against a scripted <see cref="HttpMessageHandler"/> (no socket): the requests
/// they build (method, path, key, body), arguments the service would refuse refused before any request, a
/// group with no members read as 0 members, paging that follows <c>next</c>, and answers outside the
/// contract thrown. The real service: tests/Presence.Integration.Tests/Clients/DotNetClientTests.cs.
/// </summary>
public sealed class GroupClientTests
{
    private static readonly Uri s_base = new("http://presence.test/api/");

    private static PresenceClient Client(ScriptedHandler handler, PresenceClientOptions? options = null) =>
        new(new HttpClient(handler), s_base, options);

    [Fact]
    public async Task ReplaceGroupAsync_PutsIdsAsDecimalStringsWithTheAdminKey_ReturnsMembers()
    {
        var handler = new ScriptedHandler((HttpStatusCode.OK, """{"name":"user:42","members":2}"""));
        using var client = Client(handler, new PresenceClientOptions { ApiKey = "read-key" });

        long members = await client.ReplaceGroupAsync("user:42", [7, ulong.MaxValue, 7], "admin-key");

        Assert.Equal(2, members);
        var request = Assert.Single(handler.Requests);
        Assert.Equal(("PUT", "/api/v1/groups/user:42", "Bearer admin-key", """{"ids":["7","18446744073709551615","7"]}"""), request);
    }

    [Fact]
    public async Task ReplaceGroupAsync_NoIds_SendsAnEmptyList()
    {
        var handler = new ScriptedHandler((HttpStatusCode.OK, """{"name":"g","members":0}"""));
        using var client = Client(handler);

        Assert.Equal(0, await client.ReplaceGroupAsync("g", [], "admin-key"));
        Assert.Equal("""{"ids":[]}""", Assert.Single(handler.Requests).Body);
    }

    [Theory]
    [InlineData(new ulong[] { 1, 2 }, new ulong[] { 3 }, """{"remove":["3"],"add":["1","2"]}""")]
    [InlineData(new ulong[] { 1 }, new ulong[0], """{"add":["1"]}""")]
    [InlineData(null, new ulong[] { 9 }, """{"remove":["9"]}""")]
    public async Task ChangeGroupAsync_PostsTheListsGiven_RemoveFirst(ulong[]? add, ulong[] remove, string body)
    {
        var handler = new ScriptedHandler((HttpStatusCode.OK, """{"name":"room-1","members":5}"""));
        using var client = Client(handler);

        Assert.Equal(5, await client.ChangeGroupAsync("room-1", add, remove, "admin-key"));
        Assert.Equal(("POST", "/api/v1/groups/room-1/members", "Bearer admin-key", body), Assert.Single(handler.Requests));
    }

    [Fact]
    public async Task DeleteGroupAsync_Deletes_204IsDone_AProblemThrows()
    {
        var handler = new ScriptedHandler((HttpStatusCode.NoContent, ""), ScriptedHandler.Problem(HttpStatusCode.Forbidden, PresenceProblemTypes.Forbidden));
        using var client = Client(handler);

        await client.DeleteGroupAsync("room-1", "admin-key");
        var e = await Assert.ThrowsAsync<PresenceApiException>(() => client.DeleteGroupAsync("room-1", "read-key"));

        Assert.Equal((HttpStatusCode.Forbidden, PresenceProblemTypes.Forbidden), (e.Status, e.Type));
        Assert.Equal(["DELETE /api/v1/groups/room-1 Bearer admin-key", "DELETE /api/v1/groups/room-1 Bearer read-key"],
            handler.Requests.Select(r => $"{r.Method} {r.PathAndQuery} {r.Authorization}"));
    }

    [Fact]
    public async Task GetGroupSizeAsync_Members_ThenNoMembers404IsZero_OtherProblemsThrow()
    {
        var handler = new ScriptedHandler(
            (HttpStatusCode.OK, """{"name":"room-1","members":3}"""),
            ScriptedHandler.Problem(HttpStatusCode.NotFound, PresenceProblemTypes.GroupNotFound),
            ScriptedHandler.Problem(HttpStatusCode.ServiceUnavailable, PresenceProblemTypes.StoreUnavailable),
            (HttpStatusCode.NotFound, "not a problem document"),
            ScriptedHandler.Problem(HttpStatusCode.NotFound, PresenceProblemTypes.NotFound));
        using var client = Client(handler, new PresenceClientOptions { ApiKey = "read-key" });

        Assert.Equal(3, await client.GetGroupSizeAsync("room-1"));
        Assert.Equal(0, await client.GetGroupSizeAsync("room-1"));
        Assert.Equal(PresenceProblemTypes.StoreUnavailable, (await Assert.ThrowsAsync<PresenceApiException>(() => client.GetGroupSizeAsync("room-1"))).Type);
        // A 404 that is not the service's not-found problem (a proxy's page) is no answer about the group.
        Assert.Equal("about:blank", (await Assert.ThrowsAsync<PresenceApiException>(() => client.GetGroupSizeAsync("room-1"))).Type);
        // Nor is an unknown route's not-found (a wrong base path, a service without groups): never read as an empty group.
        Assert.Equal(PresenceProblemTypes.NotFound, (await Assert.ThrowsAsync<PresenceApiException>(() => client.GetGroupSizeAsync("room-1"))).Type);
        Assert.Equal(5, handler.Requests.Count);
        Assert.All(handler.Requests, r => Assert.Equal(("GET", "/api/v1/groups/room-1", "Bearer read-key", (string?)null), r));
    }

    [Fact]
    public async Task GetGroupPresenceAsync_ReadsThePage_NoMembersIsAnEmptyPage()
    {
        var handler = new ScriptedHandler(
            (HttpStatusCode.OK, """{"name":"room-1","members":4,"online":2,"users":[{"id":"5","online":true,"lastSeenMs":1764270000123},{"id":"18446744073709551615","online":true,"lastSeenMs":null}],"next":"18446744073709551615"}"""),
            ScriptedHandler.Problem(HttpStatusCode.NotFound, PresenceProblemTypes.GroupNotFound));
        using var client = Client(handler);

        var page = await client.GetGroupPresenceAsync("room-1", onlineOnly: true, limit: 2, cursor: "4");
        var none = await client.GetGroupPresenceAsync("gone");

        Assert.Equal(("room-1", 4L, 2L, "18446744073709551615"), (page.Name, page.Members, page.Online, page.Next));
        Assert.Equal([new UserPresence(5, true, 1764270000123), new UserPresence(ulong.MaxValue, true, null)], page.Users);
        Assert.Equal(("gone", 0L, 0L, (string?)null), (none.Name, none.Members, none.Online, none.Next));
        Assert.Empty(none.Users);
        Assert.Equal(["/api/v1/groups/room-1/presence?online=only&limit=2&cursor=4", "/api/v1/groups/gone/presence"],
            handler.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task ListGroupAsync_FollowsNextUntilNull_PassingEachAsTheCursor()
    {
        var handler = new ScriptedHandler(
            (HttpStatusCode.OK, """{"name":"g","members":5,"online":1,"users":[{"id":"1","online":false,"lastSeenMs":null},{"id":"2","online":true,"lastSeenMs":9}],"next":"2"}"""),
            (HttpStatusCode.OK, """{"name":"g","members":5,"online":1,"users":[{"id":"3","online":false,"lastSeenMs":8000},{"id":"4","online":false,"lastSeenMs":null}],"next":"4"}"""),
            (HttpStatusCode.OK, """{"name":"g","members":5,"online":1,"users":[{"id":"5","online":false,"lastSeenMs":null}],"next":null}"""),
            (HttpStatusCode.OK, """{"name":"g","members":5,"online":1,"users":[{"id":"6","online":false,"lastSeenMs":null}],"next":null}"""));
        using var client = Client(handler);

        var ids = new List<ulong>();
        await foreach (var user in client.ListGroupAsync("g", limit: 2))
            ids.Add(user.Id);

        Assert.Equal([1UL, 2, 3, 4, 5], ids);
        Assert.Equal(["/api/v1/groups/g/presence?limit=2", "/api/v1/groups/g/presence?limit=2&cursor=2", "/api/v1/groups/g/presence?limit=2&cursor=4"],
            handler.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task ListGroupAsync_APageRepeatingAMember_ThrowsInsteadOfLoopingForever()
    {
        const string Same = """{"name":"g","members":2,"online":0,"users":[{"id":"1","online":false,"lastSeenMs":null}],"next":"1"}""";
        var handler = new ScriptedHandler((HttpStatusCode.OK, Same), (HttpStatusCode.OK, Same));
        using var client = Client(handler);

        var e = await Assert.ThrowsAsync<PresenceException>(async () =>
        {
            await foreach (var _ in client.ListGroupAsync("g"))
            {
            }
        });

        Assert.Contains("answered member 1 of group 'g' after 1", e.Message);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Theory]
    [InlineData("""{"name":"other","members":1,"online":0,"users":[],"next":null}""")]
    [InlineData("""{"name":"g","members":1,"online":2,"users":[],"next":null}""")]
    [InlineData("""{"name":"g","online":0,"users":[],"next":null}""")]
    [InlineData("""{"name":"g","members":3,"online":0,"users":[{"id":"2","online":false,"lastSeenMs":null},{"id":"1","online":false,"lastSeenMs":null}],"next":null}""")]
    [InlineData("""{"name":"g","members":3,"online":0,"users":[{"id":"0","online":false,"lastSeenMs":null}],"next":null}""")]
    public async Task GetGroupPresenceAsync_AnswerOutsideTheContract_Throws(string answer)
    {
        using var client = Client(new ScriptedHandler((HttpStatusCode.OK, answer)));

        var e = await Assert.ThrowsAsync<PresenceException>(() => client.GetGroupPresenceAsync("g"));

        Assert.IsNotType<PresenceApiException>(e);
    }

    [Fact]
    public async Task GetGroupPresenceAsync_OnlineOnly_AnOfflineMemberOnThePage_Throws()
    {
        using var client = Client(new ScriptedHandler(
            (HttpStatusCode.OK, """{"name":"g","members":2,"online":1,"users":[{"id":"1","online":true,"lastSeenMs":5},{"id":"2","online":false,"lastSeenMs":null}],"next":null}""")));

        var e = await Assert.ThrowsAsync<PresenceException>(() => client.GetGroupPresenceAsync("g", onlineOnly: true));

        Assert.Contains("offline member 2 on a page of online members only", e.Message);
    }

    [Fact]
    public async Task ListGroupAsync_AnEmptyPageWithANext_ThrowsInsteadOfLoopingForever()
    {
        const string Empty = """{"name":"g","members":2,"online":0,"users":[],"next":"1"}""";
        var handler = new ScriptedHandler((HttpStatusCode.OK, Empty), (HttpStatusCode.OK, Empty));
        using var client = Client(handler);

        var e = await Assert.ThrowsAsync<PresenceException>(async () =>
        {
            await foreach (var _ in client.ListGroupAsync("g", onlineOnly: true))
            {
            }
        });

        Assert.Contains("with no members and a next cursor", e.Message);
        Assert.Single(handler.Requests);
    }

    [Theory]
    [InlineData("""{"name":"other","members":1}""")]
    [InlineData("""{"name":"g"}""")]
    [InlineData("""{"name":"g","members":-1}""")]
    public async Task MembershipAndSize_AnswerOutsideTheContract_Throws(string answer)
    {
        using var client = Client(new ScriptedHandler((HttpStatusCode.OK, answer), (HttpStatusCode.OK, answer), (HttpStatusCode.OK, answer)));

        Assert.IsNotType<PresenceApiException>(await Assert.ThrowsAsync<PresenceException>(() => client.ReplaceGroupAsync("g", [1], "k")));
        Assert.IsNotType<PresenceApiException>(await Assert.ThrowsAsync<PresenceException>(() => client.ChangeGroupAsync("g", [1], null, "k")));
        Assert.IsNotType<PresenceApiException>(await Assert.ThrowsAsync<PresenceException>(() => client.GetGroupSizeAsync("g")));
    }

    [Fact]
    public async Task GetGroupsPresenceAsync_SplitByMaxBatch_AnsweredInRequestOrder()
    {
        var handler = new ScriptedHandler(
            (HttpStatusCode.OK, """{"groups":[{"name":"alice","online":true,"onlineMembers":2,"members":3,"lastSeenMs":1764270000123},{"name":"bob","online":false,"onlineMembers":0,"members":0,"lastSeenMs":null}],"online":1}"""),
            (HttpStatusCode.OK, """{"groups":[{"name":"alice","online":true,"onlineMembers":2,"members":3,"lastSeenMs":1764270000123}],"online":1}"""));
        using var client = Client(handler, new PresenceClientOptions { MaxBatch = 2 });

        var groups = await client.GetGroupsPresenceAsync(["alice", "bob", "alice"]);

        Assert.Equal([new GroupPresence("alice", true, 2, 3, 1764270000123), new GroupPresence("bob", false, 0, 0, null), new GroupPresence("alice", true, 2, 3, 1764270000123)], groups);
        Assert.Equal(["""{"names":["alice","bob"]}""", """{"names":["alice"]}"""], handler.Requests.Select(r => r.Body));
        Assert.All(handler.Requests, r => Assert.Equal(("POST", "/api/v1/groups/presence"), (r.Method, r.PathAndQuery)));
    }

    [Theory]
    [InlineData("""{"groups":[{"name":"bob","online":false,"onlineMembers":0,"members":0,"lastSeenMs":null}],"online":0}""")]
    [InlineData("""{"groups":[],"online":0}""")]
    [InlineData("""{"groups":[{"name":"alice","online":false,"onlineMembers":1,"members":1,"lastSeenMs":null}],"online":0}""")]
    [InlineData("""{"groups":[{"name":"alice","online":true,"members":1,"lastSeenMs":null}],"online":1}""")]
    public async Task GetGroupsPresenceAsync_AnswerOutsideTheContract_Throws(string answer)
    {
        using var client = Client(new ScriptedHandler((HttpStatusCode.OK, answer)));

        var e = await Assert.ThrowsAsync<PresenceException>(() => client.GetGroupsPresenceAsync(["alice"]));

        Assert.IsNotType<PresenceApiException>(e);
    }

    public static TheoryData<string, Func<PresenceClient, Task>> Refused => new()
    {
        { "name", c => c.ReplaceGroupAsync("a b", [1], "k") },
        { "name", c => c.ReplaceGroupAsync("..", [1], "k") },
        { "ids", c => c.ReplaceGroupAsync("g", [1, 0], "k") },
        { "adminKey", c => c.ReplaceGroupAsync("g", [1], "") },
        { "add", c => c.ChangeGroupAsync("g", [], null, "k") },
        { "add", c => c.ChangeGroupAsync("g", null, null, "k") },
        { "remove", c => c.ChangeGroupAsync("g", [1], [0], "k") },
        { "name", c => c.ChangeGroupAsync(new string('x', 129), [1], null, "k") },
        { "name", c => c.DeleteGroupAsync("a/b", "k") },
        { "adminKey", c => c.DeleteGroupAsync("g", null!) },
        { "name", c => c.GetGroupSizeAsync("") },
        { "name", c => c.GetGroupPresenceAsync(".") },
        { "limit", c => c.GetGroupPresenceAsync("g", limit: 0) },
        { "cursor", c => c.GetGroupPresenceAsync("g", cursor: "") },
        { "name", async c => { await foreach (var _ in c.ListGroupAsync("é")) { } } },
        { "limit", async c => { await foreach (var _ in c.ListGroupAsync("g", limit: -1)) { } } },
        { "names", c => c.GetGroupsPresenceAsync([]) },
        { "names", c => c.GetGroupsPresenceAsync(["ok", "not ok"]) },
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
