using Presence.Core;
using Presence.Integration.Tests.Ingest;
using Presence.Integration.Tests.Query;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Events;

/// <summary>
/// The presence events of HTTP-API.md against a real redis-server, a real ingester (UDP on
/// 127.0.0.1) and a real query node (Kestrel on port 0): what a subscriber sees, and the
/// reliability drills (query node restart with resume, store restart, steady users, sign-out,
/// timeout, hand-over between ingesters).
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class EventStreamTests(RedisFixture redis)
{
    /// <summary>A real ingester (ttl <paramref name="ttlSeconds"/>) and query node on one store and prefix.</summary>
    internal static async Task<(IngestTestHost Ingest, QueryHost Query)> StartAsync(string configuration, string prefix, int ttlSeconds = 30)
    {
        var ingest = await IngestTestHost.StartAsync(configuration, prefix, o => o.TtlSeconds = ttlSeconds);
        try
        {
            return (ingest, await QueryHost.StartAsync(configuration, prefix));
        }
        catch
        {
            await ingest.DisposeAsync();
            throw;
        }
    }

    private static Task<SseClient> Subscribe(QueryHost query, string ids, string? lastEventId = null) =>
        SseClient.OpenAsync(query.Client.BaseAddress!, "/v1/presence/events?ids=" + ids, lastEventId);

    private static long Seq(SseEvent e) => long.Parse(e.Id![(e.Id!.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Subscribe_SnapshotThenOnlineThenSignout_EachWithIdInOrder()
    {
        var prefix = TestKeys.Prefix();
        var (ingest, query) = await StartAsync(redis.Server.Configuration, prefix);
        await using var _ = ingest;
        await using var __ = query;
        ingest.Heartbeat([1]);
        // Online in the log before the stream starts, so the snapshot has it (and no event follows for it).
        await Eventually.Until(() => ingest.Metrics.EventLogLastSeq.Value >= 1, "user 1's online line appended");

        await using var stream = await Subscribe(query, "1,2,3,2");
        Assert.Equal("no-store", stream.Response.Headers.CacheControl?.ToString());
        var snapshot = await stream.NextAsync("the snapshot");
        Assert.Equal("snapshot", snapshot.Type);
        Assert.NotNull(snapshot.Id);
        var users = snapshot.Json.GetProperty("users").EnumerateArray().ToArray();
        Assert.Equal(["1", "2", "3"], users.Select(u => u.GetProperty("id").GetString())); // one entry per distinct id, ids as strings
        Assert.True(users[0].GetProperty("online").GetBoolean());
        Assert.True(users[0].GetProperty("lastSeenMs").GetInt64() > 1_700_000_000_000);
        Assert.False(users[1].GetProperty("online").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, users[1].GetProperty("lastSeenMs").ValueKind);
        Assert.Equal(1, snapshot.Json.GetProperty("online").GetInt32());

        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        ingest.Heartbeat([2]);
        var online = await stream.NextAsync("user 2 online");
        Assert.Equal(("online", 2UL), (online.Type, online.User));
        Assert.InRange(online.At, before - 1000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Assert.Null(online.Reason);

        ingest.Heartbeat([2], kind: RecordKind.Offline);
        var offline = await stream.NextAsync("user 2 offline (signout)");
        Assert.Equal(("offline", 2UL, "signout"), (offline.Type, offline.User, offline.Reason));
        Assert.True(offline.At >= online.At);
        Assert.True(Seq(online) > Seq(snapshot) && Seq(offline) > Seq(online), "event ids follow the log");
        Assert.DoesNotContain(stream.All, e => e.Type is "online" or "offline" && e.User == 1); // already online in the snapshot
    }

    [Fact]
    public async Task Post_WatchesMoreIdsThanAGetMay_SnapshotHasEachOnce()
    {
        var prefix = TestKeys.Prefix();
        var (ingest, query) = await StartAsync(redis.Server.Configuration, prefix);
        await using var _ = ingest;
        await using var __ = query;
        var ids = Enumerable.Range(1, 2500).Select(i => $"\"{i}\"");
        await using var stream = await SseClient.OpenAsync(query.Client.BaseAddress!, "/v1/presence/events",
            postJson: "{\"ids\":[" + string.Join(",", ids) + ",7]}");
        var snapshot = await stream.NextAsync("the snapshot");
        Assert.Equal(2500, snapshot.Json.GetProperty("users").GetArrayLength());

        ingest.Heartbeat([2500]);
        var online = await stream.NextAsync("user 2500 online");
        Assert.Equal(("online", 2500UL), (online.Type, online.User));
    }

    [Fact]
    public async Task SilentPastTtl_ExactlyOneOfflineTimeout_AtLastSeenPlusTtl()
    {
        var prefix = TestKeys.Prefix();
        var (ingest, query) = await StartAsync(redis.Server.Configuration, prefix, ttlSeconds: 2);
        await using var _ = ingest;
        await using var __ = query;
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        await using var stream = await Subscribe(query, "5,6");
        await stream.NextAsync("the snapshot");
        // Deadlines below are for waiting only (a loaded machine); what is asserted is exact.
        var wait = TimeSpan.FromSeconds(30);

        ingest.Heartbeat([5]);
        var online = await stream.NextAsync("user 5 online", wait);
        Assert.Equal(5UL, online.User);
        var stored = await db.StringGetAsync(IngestTestHost.Key(prefix, 5));
        if (stored.HasValue) // unless the ttl already ran out on a slow machine
            Assert.Equal(online.At, (long)stored); // online at = the receive time its key holds
        var offline = await stream.NextAsync("user 5 offline after the ttl", wait);
        Assert.Equal(("offline", 5UL, "timeout"), (offline.Type, offline.User, offline.Reason));
        Assert.Equal(online.At + 2000, offline.At); // its only heartbeat + ttl, exactly
        Assert.False(await db.KeyExistsAsync(IngestTestHost.Key(prefix, 5)), "offline is sent only once the key is gone");

        // A later user's whole online period passes through the same log: any second offline for
        // user 5 would have been appended before it.
        ingest.Heartbeat([6]);
        var sixOnline = await stream.NextAsync("user 6 online", wait);
        Assert.Equal(6UL, sixOnline.User);
        var sixOffline = await stream.NextAsync("user 6 offline", wait);
        Assert.Equal((6UL, "timeout"), (sixOffline.User, sixOffline.Reason));
        Assert.Equal(sixOnline.At + 2000, sixOffline.At);
        Assert.Single(stream.OfType("offline"), e => e.User == 5);
        Assert.Single(stream.OfType("online"), e => e.User == 5);
    }

    [Fact]
    public async Task SteadyHeartbeats_NeverASpuriousOffline()
    {
        var prefix = TestKeys.Prefix();
        var (ingest, query) = await StartAsync(redis.Server.Configuration, prefix, ttlSeconds: 4);
        await using var _ = ingest;
        await using var __ = query;
        await using var stream = await Subscribe(query, "9");
        await stream.NextAsync("the snapshot");

        // Three ttls of a heartbeat every half second (a device's steady rhythm, compressed).
        var until = DateTime.UtcNow.AddSeconds(12);
        while (DateTime.UtcNow < until)
        {
            ingest.Heartbeat([9]);
            await Task.Delay(500);
        }
        ingest.Heartbeat([9], kind: RecordKind.Offline);
        var online = await stream.NextAsync("user 9 online");
        Assert.Equal("online", online.Type);
        var offline = await stream.NextAsync("user 9's sign-out");
        Assert.Equal(("offline", "signout"), (offline.Type, offline.Reason)); // the first offline is the sign-out, no timeout before it
        Assert.Equal(2, stream.All.Count(e => e.Type is "online" or "offline"));
    }

    [Fact]
    public async Task QueryNodeRestart_ResumeWithLastEventId_MissesNothing_NoSnapshot()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix);
        string lastId;
        await using (var first = await QueryHost.StartAsync(redis.Server.Configuration, prefix))
        await using (var stream = await Subscribe(first, "20,21,22"))
        {
            await stream.NextAsync("the snapshot");
            ingest.Heartbeat([20]);
            Assert.Equal(20UL, (await stream.NextAsync("user 20 online")).User);
            lastId = stream.LastEventId!;
        }

        // While no query node runs: three more transitions for the watched users.
        long seqBefore = (long)ingest.Metrics.EventLogLastSeq.Value;
        ingest.Heartbeat([21]);
        await Eventually.Until(() => ingest.Metrics.EventLogLastSeq.Value >= seqBefore + 1, "user 21 online appended");
        ingest.Heartbeat([20], kind: RecordKind.Offline);
        await Eventually.Until(() => ingest.Metrics.EventLogLastSeq.Value >= seqBefore + 2, "user 20 signout appended");
        ingest.Heartbeat([22]);
        await Eventually.Until(() => ingest.Metrics.EventLogLastSeq.Value >= seqBefore + 3, "user 22 online appended");

        await using var second = await QueryHost.StartAsync(redis.Server.Configuration, prefix);
        foreach (var resume in new Func<Task<SseClient>>[]
        {
            () => Subscribe(second, "20,21,22", lastEventId: lastId),                    // the header
            () => Subscribe(second, "20,21,22&lastEventId=" + Uri.EscapeDataString(lastId)), // the query parameter
        })
        {
            await using var stream = await resume();
            var events = new[]
            {
                await stream.NextAsync("the 1st missed event"), await stream.NextAsync("the 2nd missed event"), await stream.NextAsync("the 3rd missed event"),
            };
            Assert.DoesNotContain(events, e => e.Type == "snapshot");
            Assert.Equal(
                new[] { ("online", 21UL, (string?)null), ("offline", 20UL, "signout"), ("online", 22UL, null) },
                events.Select(e => (e.Type, e.User, e.Reason)));
            Assert.True(Seq(events[0]) < Seq(events[1]) && Seq(events[1]) < Seq(events[2]));
        }
    }

    [Fact]
    public async Task StoreRestart_MidStream_NewSnapshotAgreesWithTheBatchAnswer_ThenEventsGoOn()
    {
        using var server = RedisServer.Start();
        var prefix = TestKeys.Prefix();
        var (ingest, query) = await StartAsync(server.Configuration, prefix);
        await using var _ = ingest;
        await using var __ = query;
        ingest.Heartbeat([30]);
        await Eventually.Until(() => ingest.Metrics.EventLogLastSeq.Value >= 1, "user 30's online line appended");
        await using var stream = await Subscribe(query, "30,31,32,33");
        var firstSnapshot = await stream.NextAsync("the snapshot");
        Assert.Equal(1, firstSnapshot.Json.GetProperty("online").GetInt32()); // user 30: a state the new snapshot must not repeat
        ingest.Heartbeat([31]);
        Assert.Equal(31UL, (await stream.NextAsync("user 31 online")).User);

        server.Restart(); // empty: the store lost every key and the events log
        ingest.Heartbeat([32, 33], perFrame: 2); // online again in the new store
        var second = await stream.NextAsync("a new snapshot after the store restart", TimeSpan.FromSeconds(30));
        Assert.Equal("snapshot", second.Type);
        Assert.NotEqual(firstSnapshot.Id![..firstSnapshot.Id!.LastIndexOf('-')], second.Id![..second.Id!.LastIndexOf('-')]); // a new log, a new epoch

        // A client applying the new snapshot and the events after it holds what the batch route
        // answers: users 32 and 33 online (in the snapshot, or in events right after it, depending
        // on whether the node read the new log before or after their append), users 30 and 31
        // offline (their keys went with the store: the old state must not survive).
        var state = new Dictionary<string, (bool Online, long? LastSeenMs)>();
        foreach (var u in second.Json.GetProperty("users").EnumerateArray())
            state[u.GetProperty("id").GetString()!] = (u.GetProperty("online").GetBoolean(), LastSeen(u));
        var after = new List<SseEvent>();
        while (!(state["32"].Online && state["33"].Online))
        {
            var e = await stream.NextAsync("users 32 and 33 online after the new snapshot", TimeSpan.FromSeconds(30));
            Assert.NotEqual("snapshot", e.Type);
            after.Add(e);
            state[e.User.ToString(System.Globalization.CultureInfo.InvariantCulture)] = e.Type == "online" ? (true, e.At) : (false, null);
        }
        Assert.All(after, e => Assert.Equal("online", e.Type));
        var batch = await QueryHost.Json(await query.Client.GetAsync("/v1/presence?ids=30,31,32,33"));
        var answered = batch.GetProperty("users").EnumerateArray().Select(u => (u.GetProperty("id").GetString()!, (u.GetProperty("online").GetBoolean(), LastSeen(u))));
        Assert.Equal([("30", (false, (long?)null)), ("31", (false, null))], answered.Take(2));
        Assert.Equal(answered, state.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, (p.Value.Online, p.Value.LastSeenMs))));

        ingest.Heartbeat([31]);
        var online = await stream.NextAsync("user 31 online again after the restart", TimeSpan.FromSeconds(30));
        Assert.Equal(("online", 31UL), (online.Type, online.User));
    }

    private static long? LastSeen(System.Text.Json.JsonElement user) =>
        user.GetProperty("lastSeenMs").ValueKind == System.Text.Json.JsonValueKind.Null ? null : user.GetProperty("lastSeenMs").GetInt64();

    [Fact]
    public async Task IngesterStops_AnotherAdoptsItsUsers_TheirTimeoutStillArrives()
    {
        var prefix = TestKeys.Prefix();
        // A ttl that outlasts the online event, the stop and the adoption (checked once a second) on a loaded machine:
        // lapsed before, the stopping ingester would see the timeout itself and hand nothing over.
        await using var stays = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.TtlSeconds = 8);
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix);
        await using var stream = await Subscribe(query, "80");
        await stream.NextAsync("the snapshot");
        await using (var leaves = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.TtlSeconds = 8))
        {
            leaves.Heartbeat([80]);
            var online = await stream.NextAsync("user 80 online");
            Assert.Equal(80UL, online.User);
            await leaves.Host.StopAsync(); // hands user 80 over
        }
        await Eventually.Until(() => stays.Metrics.TrackedUsers.Value >= 1, "the running ingester adopted the user");
        var offline = await stream.NextAsync("user 80's timeout, seen by the ingester that stayed", TimeSpan.FromSeconds(20));
        Assert.Equal(("offline", 80UL, "timeout"), (offline.Type, offline.User, offline.Reason));
    }

    [Fact]
    public async Task IngesterKilled_NoHandOver_TheNextOneSweepsTheOnlineSet_NobodyStaysOnline()
    {
        var prefix = TestKeys.Prefix();
        int udp = FreePort.Udp();
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix);
        await using var stream = await Subscribe(query, "90,91");
        await stream.NextAsync("the snapshot");

        // A real presence-ingest process, killed with SIGKILL: nothing is handed over.
        using (var crashing = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "presence-ingest.dll"), "--udp", $"127.0.0.1:{udp}", "--http", "127.0.0.1:0",
             "--redis", redis.Server.Configuration, "--prefix", prefix, "--ttl", "3", "--flush-ms", "50"])
        { RedirectStandardOutput = true, RedirectStandardError = true })!)
        {
            try
            {
                using var sender = new System.Net.Sockets.UdpClient();
                var frame = new byte[FrameFormat.FrameSize(2, false)];
                FrameWriter.WriteUnsigned(frame, [new HeartbeatRecord(90, 0, 1, RecordKind.Heartbeat, 0), new HeartbeatRecord(91, 0, 1, RecordKind.Heartbeat, 0)]);
                // Until the process listens, datagrams go nowhere: send until both are online.
                await Eventually.Until(async () =>
                {
                    await sender.SendAsync(frame, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, udp));
                    return stream.OfType("online").Length == 2;
                }, "users 90 and 91 online through the process", TimeSpan.FromSeconds(30));
                await stream.NextAsync("the first online");
                await stream.NextAsync("the second online");
            }
            finally
            {
                crashing.Kill();
                await crashing.WaitForExitAsync();
            }
        }
        using (var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration))
            await Eventually.Until(async () => !await mux.GetDatabase().KeyExistsAsync(IngestTestHost.Key(prefix, 91)), "user 91's key expired with nobody watching");
        Assert.Empty(stream.OfType("offline")); // no ingester runs: nobody saw the expiry

        // The next ingester to start sweeps the log's online set: both users' keys are gone by now.
        await using var next = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.TtlSeconds = 3);
        var offlines = new[] { await stream.NextAsync("the first offline from the sweep"), await stream.NextAsync("the second offline from the sweep") };
        Assert.Equal([90UL, 91UL], offlines.Select(e => e.User).Order());
        Assert.All(offlines, e => Assert.Equal(("offline", "timeout"), (e.Type, e.Reason)));
    }

    [Fact]
    public async Task FiveHundredSubscribersOnOneNode_AllSeeTheSameEvents()
    {
        var prefix = TestKeys.Prefix();
        var (ingest, query) = await StartAsync(redis.Server.Configuration, prefix);
        await using var _ = ingest;
        await using var __ = query;
        var streams = new List<SseClient>();
        try
        {
            for (int i = 0; i < 500; i += 50)
                streams.AddRange(await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Subscribe(query, "60,61,62,63,64"))));
            await Task.WhenAll(streams.Select(s => s.NextAsync("the snapshot", TimeSpan.FromSeconds(60))));

            ingest.Heartbeat([60, 61, 62], perFrame: 3);
            var expected = (await ReadEvents(streams[0], 3)).Select(e => (e.Type, e.Id, e.Data)).ToList();
            Assert.All(expected, e => Assert.Equal("online", e.Type));
            ingest.Heartbeat([61], kind: RecordKind.Offline); // after the online lines: in one window with them it would cancel them out
            expected.AddRange((await ReadEvents(streams[0], 1)).Select(e => (e.Type, e.Id, e.Data)));
            Assert.Equal("offline", expected[3].Type);
            foreach (var stream in streams.Skip(1))
                Assert.Equal(expected, (await ReadEvents(stream, 4)).Select(e => (e.Type, e.Id, e.Data)));
        }
        finally
        {
            await Task.WhenAll(streams.Select(s => s.DisposeAsync().AsTask()));
        }
    }

    private static async Task<SseEvent[]> ReadEvents(SseClient stream, int count)
    {
        var events = new SseEvent[count];
        for (int i = 0; i < count; i++)
            events[i] = await stream.NextAsync($"event {i + 1} of {count}", TimeSpan.FromSeconds(30));
        return events;
    }
}
