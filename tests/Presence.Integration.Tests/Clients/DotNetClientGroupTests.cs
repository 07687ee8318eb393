using System.Net;
using Presence.Client;
using Presence.Core;
using Presence.Core.LastSeen;
using Presence.Integration.Tests.Ingest;
using Presence.Integration.Tests.Query;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Clients;

/// <summary>
/// Presence.Client's group methods against the real query service on a real redis-server (docs/HTTP-API.md,
/// "Groups"): membership only with an admin key, a round trip of replace, change and delete, paging a
/// 2,500-member group, and a user with several devices (presence keys written into the store as an
/// ingester writes them) online while any device is; the group streams against a real ingest's events log
/// (membership changes, heartbeats and sign-outs as events, a resume without a snapshot). The service's own
/// group suite: tests/…/Groups.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class DotNetClientGroupTests(RedisFixture redis) : IAsyncLifetime
{
    private const string AdminKey = "client-admin-key-1";
    private const string ReadKey = "client-read-key-1";

    private readonly string _adminKeys = Path.Combine(Path.GetTempPath(), $"presence-client-admin-keys-{Guid.NewGuid():N}");
    private readonly string _readKeys = Path.Combine(Path.GetTempPath(), $"presence-client-read-keys-{Guid.NewGuid():N}");
    private ConnectionMultiplexer _mux = null!;

    public async Task InitializeAsync()
    {
        foreach (var (file, key) in new[] { (_adminKeys, AdminKey), (_readKeys, ReadKey) })
        {
            await File.WriteAllTextAsync(file, key + "\n");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        _mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
    }

    public async Task DisposeAsync()
    {
        await _mux.DisposeAsync();
        File.Delete(_adminKeys);
        File.Delete(_readKeys);
    }

    [Fact]
    public async Task Membership_RefusedWithAReadKey_ThenReplaceChangeDeleteRoundTrip()
    {
        var prefix = TestKeys.Prefix();
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix, o =>
        {
            o.AdminKeys = _adminKeys;
            o.ApiKeys = _readKeys;
            o.MaxGroupSize = 10;
        });
        using var client = new PresenceClient(query.Client.BaseAddress!, new PresenceClientOptions { ApiKey = ReadKey });

        // A read key is no admin key: 403 forbidden for every write, and nothing written.
        foreach (var write in new Func<Task>[]
        {
            () => client.ReplaceGroupAsync("room-1", [1, 2], ReadKey),
            () => client.ChangeGroupAsync("room-1", [1], null, ReadKey),
            () => client.DeleteGroupAsync("room-1", ReadKey),
        })
        {
            var refused = await Assert.ThrowsAsync<PresenceApiException>(write);
            Assert.Equal((HttpStatusCode.Forbidden, PresenceProblemTypes.Forbidden), (refused.Status, refused.Type));
        }
        Assert.Equal(0, await client.GetGroupSizeAsync("room-1"));

        // Replace (a repeated id counts once), change (remove first, then add), read back with the read key.
        Assert.Equal(3, await client.ReplaceGroupAsync("room-1", [3, 1, 2, 2], AdminKey));
        Assert.Equal(3, await client.GetGroupSizeAsync("room-1"));
        Assert.Equal(4, await client.ChangeGroupAsync("room-1", add: [3, 4, ulong.MaxValue], remove: [1, 3, 7], AdminKey));
        var page = await client.GetGroupPresenceAsync("room-1");
        Assert.Equal(("room-1", 4L, 0L, (string?)null), (page.Name, page.Members, page.Online, page.Next));
        Assert.Equal([2UL, 3, 4, ulong.MaxValue], page.Users.Select(u => u.Id));
        Assert.All(page.Users, u => Assert.Equal((false, (long?)null), (u.Online, u.LastSeenMs)));

        // Emptied by removing every member: gone (0, an empty page); written again; deleted, twice.
        Assert.Equal(0, await client.ChangeGroupAsync("room-1", null, [2, 3, 4, ulong.MaxValue], AdminKey));
        Assert.Equal(0, await client.GetGroupSizeAsync("room-1"));
        Assert.Empty((await client.GetGroupPresenceAsync("room-1")).Users);
        Assert.Equal(1, await client.ReplaceGroupAsync("room-1", [9], AdminKey));
        await client.DeleteGroupAsync("room-1", AdminKey);
        await client.DeleteGroupAsync("room-1", AdminKey);
        Assert.Equal(0, await client.GetGroupSizeAsync("room-1"));
        Assert.Equal(0, await client.ReplaceGroupAsync("room-1", [], AdminKey));

        // The service's limits, as the problem types the client names.
        var tooLarge = await Assert.ThrowsAsync<PresenceApiException>(() => client.ReplaceGroupAsync("big", [.. Enumerable.Range(1, 11).Select(i => (ulong)i)], AdminKey));
        Assert.Equal(PresenceProblemTypes.GroupTooLarge, tooLarge.Type);
        Assert.Equal(6, await client.ReplaceGroupAsync("half-1", [1, 2, 3, 4, 5, 6], AdminKey));
        Assert.Equal(6, await client.ReplaceGroupAsync("half-2", [11, 12, 13, 14, 15, 16], AdminKey));
        var tooMany = await Assert.ThrowsAsync<PresenceApiException>(() => client.GetGroupsPresenceAsync(["half-1", "half-2"]));
        Assert.Equal(PresenceProblemTypes.TooManyMembers, tooMany.Type);
        Assert.Equal(2, (await client.GetGroupsPresenceAsync(["half-1", "half-1"])).Count); // a repeated name is counted once
        var badCursor = await Assert.ThrowsAsync<PresenceApiException>(() => client.GetGroupPresenceAsync("half-1", cursor: "not-a-cursor"));
        Assert.Equal(PresenceProblemTypes.BadCursor, badCursor.Type);
        var badLimit = await Assert.ThrowsAsync<PresenceApiException>(() => client.GetGroupPresenceAsync("half-1", limit: query.Options.MaxBatch + 1));
        Assert.Equal(PresenceProblemTypes.BadParameter, badLimit.Type);
    }

    [Fact]
    public async Task ListGroupAsync_2500Members_EveryPageInIdOrder_OnlineOnlyListsTheOnlineOnes()
    {
        var prefix = TestKeys.Prefix();
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix, o => o.AdminKeys = _adminKeys, recordRequests: true);
        using var client = new PresenceClient(query.Client.BaseAddress!);
        // Ids spread out, written in no order; every 7th online.
        var members = Enumerable.Range(0, 2500).Select(i => 16_000_000_000UL + (ulong)i * 7919).ToArray();
        var shuffled = members.OrderBy(m => (m * 2654435761UL) % 1_000_003).ToArray();
        Assert.Equal(2500, await client.ReplaceGroupAsync("site:berlin", shuffled, AdminKey));
        var online = members.Where((_, i) => i % 7 == 0).ToArray();
        var db = _mux.GetDatabase();
        foreach (var id in online)
            Assert.True(await db.StringSetAsync(IngestTestHost.Key(prefix, id), 1_764_270_000_000 + (long)(id % 1000), TimeSpan.FromMinutes(5)));

        var all = new List<UserPresence>();
        await foreach (var user in client.ListGroupAsync("site:berlin", limit: 1000))
            all.Add(user);
        var onlineOnly = new List<UserPresence>();
        await foreach (var user in client.ListGroupAsync("site:berlin", onlineOnly: true, limit: 100))
            onlineOnly.Add(user);

        Assert.Equal(members, all.Select(u => u.Id));
        Assert.Equal(online, all.Where(u => u.Online).Select(u => u.Id));
        Assert.All(all.Where(u => u.Online), u => Assert.Equal(1_764_270_000_000 + (long)(u.Id % 1000), u.LastSeenMs));
        Assert.Equal(online, onlineOnly.Select(u => u.Id));
        // 2,500 members in pages of 1,000: three requests; 358 online ones in pages of 100: four.
        var pages = query.Requests.Where(r => r.StartsWith("GET /v1/groups/site:berlin/presence", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3 + (online.Length + 99) / 100, pages.Length);
        Assert.Equal("GET /v1/groups/site:berlin/presence?limit=1000", pages[0]);
        Assert.Equal($"GET /v1/groups/site:berlin/presence?limit=1000&cursor={members[999]}", pages[1]);
        Assert.Equal($"GET /v1/groups/site:berlin/presence?online=only&limit=100&cursor={online[99]}", pages[4]);

        var first = await client.GetGroupPresenceAsync("site:berlin", limit: 1000);
        Assert.Equal((2500L, (long)online.Length, 1000, members[999].ToString()), (first.Members, first.Online, first.Users.Count, first.Next));
    }

    [Fact]
    public async Task GetGroupsPresenceAsync_AUserWithSeveralDevices_OnlineWhileAnyDeviceIs_LatestLastSeen()
    {
        var prefix = TestKeys.Prefix();
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix, o => o.AdminKeys = _adminKeys);
        using var client = new PresenceClient(query.Client.BaseAddress!);
        var db = _mux.GetDatabase();
        // Alice: a phone, a laptop and a tablet, each heartbeating with its own id; Bob: one phone; Carol: never written.
        const ulong Phone = 17_000_001, Laptop = 17_000_002, Tablet = 17_000_003, BobPhone = 17_000_011;
        Assert.Equal(3, await client.ReplaceGroupAsync("user:alice", [Phone, Laptop, Tablet], AdminKey));
        Assert.Equal(1, await client.ReplaceGroupAsync("user:bob", [BobPhone], AdminKey));
        const long PhoneBeat = 1_764_270_000_123, LaptopBeat = 1_764_270_005_456;
        Assert.True(await db.StringSetAsync(IngestTestHost.Key(prefix, Phone), PhoneBeat, TimeSpan.FromMinutes(5)));
        Assert.True(await db.StringSetAsync(IngestTestHost.Key(prefix, Laptop), LaptopBeat, TimeSpan.FromMinutes(5)));
        // The tablet is offline with a last seen (whole seconds), later than either heartbeat.
        long tabletSeenSeconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 3600;
        var lastSeen = new LastSeenKeys(prefix);
        await db.HashSetAsync(lastSeen.KeyOf(Tablet), LastSeenKeys.Field(Tablet), tabletSeenSeconds);
        string[] asked = ["user:alice", "user:bob", "user:carol", "user:alice"];

        var both = await client.GetGroupsPresenceAsync(asked);

        var alice = new GroupPresence("user:alice", true, 2, 3, tabletSeenSeconds * 1000);
        Assert.Equal([alice, new GroupPresence("user:bob", false, 0, 1, null), new GroupPresence("user:carol", false, 0, 0, null), alice], both);

        // The laptop signs out (its key gone, its last seen not written here): Alice stays online on her phone.
        await db.HashDeleteAsync(lastSeen.KeyOf(Tablet), LastSeenKeys.Field(Tablet));
        Assert.True(await db.KeyDeleteAsync(IngestTestHost.Key(prefix, Laptop)));
        Assert.Equal(new GroupPresence("user:alice", true, 1, 3, PhoneBeat), (await client.GetGroupsPresenceAsync(["user:alice"]))[0]);
        var devices = await client.GetGroupPresenceAsync("user:alice");
        Assert.Equal([new UserPresence(Phone, true, PhoneBeat), new UserPresence(Laptop, false, null), new UserPresence(Tablet, false, null)], devices.Users);

        // The phone too: Alice is offline, with nothing known.
        Assert.True(await db.KeyDeleteAsync(IngestTestHost.Key(prefix, Phone)));
        Assert.Equal(new GroupPresence("user:alice", false, 0, 3, null), (await client.GetGroupsPresenceAsync(["user:alice"]))[0]);
    }

    [Fact]
    public async Task WatchGroupAsync_RealServices_MembershipChangesAndHeartbeatsAsEvents_ThenResumeWithoutASnapshot()
    {
        var prefix = TestKeys.Prefix();
        // A ttl longer than the test: no timeout comes between the events it waits for.
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.TtlSeconds = 600);
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix, o =>
        {
            o.AdminKeys = _adminKeys;
            o.ApiKeys = _readKeys;
        });
        using var client = new PresenceClient(query.Client.BaseAddress!, new PresenceClientOptions { ApiKey = ReadKey });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        const ulong A = 18_000_001, B = 18_000_002, C = 18_000_003, D = 18_000_004;
        Assert.Equal(2, await client.ReplaceGroupAsync("room-1", [A, B], AdminKey));
        ingest.Heartbeat([D]); // online before it joins
        await Eventually.Until(async () => (await client.GetAsync(D)).Online, "D online");

        await using var events = client.WatchGroupAsync("room-1", cancel: deadline.Token).GetAsyncEnumerator();
        var snapshot = await NextAsync<GroupSnapshot>(events);
        Assert.Equal(("room-1", 2L, 0L), (snapshot.Name, snapshot.Members, snapshot.Online));
        Assert.Empty(snapshot.Users);

        // One change: B leaves, C and D join; its removals, then its additions ascending; only the last carries the
        // change's id (a client cut off inside a change resumes from the id before it, and gets a snapshot).
        Assert.Equal(3, await client.ChangeGroupAsync("room-1", add: [D, C], remove: [B], AdminKey));
        var removed = await NextAsync<MemberRemoved>(events);
        var addedC = await NextAsync<MemberAdded>(events);
        var addedD = await NextAsync<MemberAdded>(events);
        Assert.Equal((B, 1L, 0L), (removed.UserId, removed.Members, removed.Count));
        Assert.Equal((C, false, (long?)null, 2L, 0L), (addedC.UserId, addedC.Online, addedC.LastSeenMs, addedC.Members, addedC.Count));
        Assert.Equal((D, true, 3L, 1L), (addedD.UserId, addedD.Online, addedD.Members, addedD.Count));
        Assert.NotNull(addedD.LastSeenMs);
        Assert.Equal((snapshot.EventId, snapshot.EventId), (removed.EventId, addedC.EventId));
        Assert.NotEqual(snapshot.EventId, addedD.EventId);

        // A member's heartbeat: online, with the group's count; its sign-out: offline.
        ingest.Heartbeat([A]);
        var online = await NextAsync<MemberOnline>(events);
        Assert.Equal((A, 2L), (online.UserId, online.Count));
        ingest.Heartbeat([A], kind: RecordKind.Offline);
        var offline = await NextAsync<MemberOffline>(events);
        Assert.Equal((A, OfflineReason.SignOut, 1L), (offline.UserId, offline.Reason, offline.Count));
        Assert.True(offline.At >= online.At);

        // Resuming after the online (the membership still that event's): the sign-out again, no snapshot, the count rebuilt.
        await using var resumed = client.WatchGroupAsync("room-1", online.EventId, cancel: deadline.Token).GetAsyncEnumerator();
        Assert.Equal(offline, await NextAsync<MemberOffline>(resumed));
    }

    [Fact]
    public async Task WatchGroupsAsync_RealServices_AGroupOnlineWhileAnyMemberIs_MembershipOffline_ThenResumeWithoutASnapshot()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.TtlSeconds = 600);
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix, o =>
        {
            o.AdminKeys = _adminKeys;
            o.ApiKeys = _readKeys;
        });
        using var client = new PresenceClient(query.Client.BaseAddress!, new PresenceClientOptions { ApiKey = ReadKey });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        const ulong Phone = 18_100_001, Laptop = 18_100_002, BobPhone = 18_100_011;
        Assert.Equal(2, await client.ReplaceGroupAsync("user:alice", [Phone, Laptop], AdminKey));
        Assert.Equal(1, await client.ReplaceGroupAsync("user:bob", [BobPhone], AdminKey));

        await using var events = client.WatchGroupsAsync(["user:alice", "user:bob", "user:carol", "user:alice"], cancel: deadline.Token).GetAsyncEnumerator();
        var snapshot = await NextAsync<GroupsSnapshot>(events);
        Assert.Equal([new GroupPresence("user:alice", false, 0, 2, null), new GroupPresence("user:bob", false, 0, 1, null),
            new GroupPresence("user:carol", false, 0, 0, null)], snapshot.Groups);
        Assert.Equal(0, snapshot.Online);

        ingest.Heartbeat([Phone]);
        Assert.Equal("user:alice", (await NextAsync<GroupOnline>(events)).Name);
        // Alice's second device sends nothing (she is online already): Bob's online comes next.
        ingest.Heartbeat([Laptop]);
        await Eventually.Until(async () => (await client.GetAsync(Laptop)).Online, "the laptop online");
        ingest.Heartbeat([BobPhone]);
        Assert.Equal("user:bob", (await NextAsync<GroupOnline>(events)).Name);

        // Bob's only device leaves his group: offline for the membership.
        Assert.Equal(0, await client.ChangeGroupAsync("user:bob", add: null, remove: [BobPhone], AdminKey));
        var bobGone = await NextAsync<GroupOffline>(events);
        Assert.Equal(("user:bob", OfflineReason.Membership), (bobGone.Name, bobGone.Reason));

        // Alice goes offline with her last device, not before.
        ingest.Heartbeat([Phone], kind: RecordKind.Offline);
        await Eventually.Until(async () => !(await client.GetAsync(Phone)).Online, "the phone signed out");
        ingest.Heartbeat([Laptop], kind: RecordKind.Offline);
        var aliceGone = await NextAsync<GroupOffline>(events);
        Assert.Equal(("user:alice", OfflineReason.SignOut), (aliceGone.Name, aliceGone.Reason));

        // Resuming after Bob's offline (no membership change since): Alice's offline again, no snapshot.
        await using var resumed = client.WatchGroupsAsync(["user:alice", "user:bob", "user:carol"], bobGone.EventId, cancel: deadline.Token).GetAsyncEnumerator();
        Assert.Equal(aliceGone, await NextAsync<GroupOffline>(resumed));
    }

    /// <summary>The stream's next event, of type <typeparamref name="T"/>.</summary>
    private static async Task<T> NextAsync<T>(IAsyncEnumerator<object> events)
    {
        Assert.True(await events.MoveNextAsync(), "the stream ended");
        return Assert.IsType<T>(events.Current);
    }
}
