using System.Globalization;
using Presence.Core;
using Presence.Core.Events;
using Presence.Integration.Tests.Ingest;
using Presence.Integration.Tests.Query;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Events;

/// <summary>
/// Resuming a stream with a <c>Last-Event-ID</c> against a real redis-server, ingester and query
/// node: every position the node cannot serve (past the log's end, another epoch, older than the
/// log or the ring, garbage) gets a fresh snapshot first and then live events; a real position the
/// node's feed has not read yet is served without one; a subscriber ended for being too slow
/// resumes without loss; a paused store keeps streams open and loses nothing.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class EventResumeTests(RedisFixture redis)
{
    private static Task<SseClient> Subscribe(QueryHost query, string ids, string? lastEventId = null) =>
        SseClient.OpenAsync(query.Client.BaseAddress!, "/v1/presence/events?ids=" + ids, lastEventId);

    private static long Seq(string id) => long.Parse(id[(id.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture);

    private static string Epoch(string id) => id[..id.LastIndexOf('-')];

    /// <summary>
    /// Appends lines to the events log as an ingester would (the same script), but without the wake
    /// message: query nodes see them at their next read. Returns the log's last sequence number.
    /// </summary>
    private static async Task<long> AppendAsync(IDatabase db, string prefix, long trimBeforeMs, params (char Kind, ulong User, long At)[] lines)
    {
        var keys = new EventLogKeys(prefix);
        var call = new EventLogAppendCall(keys, lines.Length, ttlMs: 30_000);
        foreach (var (kind, user, at) in lines)
        {
            Assert.True(EventLogLine.TryParseKind((byte)kind, out var transition), $"kind '{kind}'");
            call.Add(transition, user, at);
        }
        var reply = await db.ScriptEvaluateAsync(EventLogScripts.Append, [keys.Seq, keys.Log, keys.Epoch],
            Array.ConvertAll(call.Arguments(trimBeforeMs, nowMs: 0), a => (RedisValue)a));
        return EventLogAppendCall.Decode((string?[])reply!).LastSeq;
    }

    /// <summary>The log's lines as the store holds them now.</summary>
    private static async Task<EventLogLine[]> LogAsync(IDatabase db, string prefix) => [.. await EventLogLines.ReadAsync(db, new EventLogKeys(prefix))];

    /// <summary>A new stream's first event must be a snapshot of the log as it is, then a live transition follows it.</summary>
    private static async Task AssertSnapshotThenLive(QueryHost query, IngestTestHost ingest, string? lastEventId, ulong liveUser, string what)
    {
        await using var stream = await Subscribe(query, $"{liveUser},{liveUser + 1}", lastEventId);
        var first = await stream.NextAsync($"a snapshot first ({what})", TimeSpan.FromSeconds(10));
        Assert.True(first.Type == "snapshot", $"{what}: the first event is {first}");
        Assert.False(first.Json.GetProperty("users")[0].GetProperty("online").GetBoolean());

        ingest.Heartbeat([liveUser]);
        var online = await stream.NextAsync($"user {liveUser} online after the snapshot ({what})");
        Assert.Equal(("online", liveUser), (online.Type, online.User));
        Assert.True(Seq(online.Id!) > Seq(first.Id!), $"{what}: the event follows the snapshot's position");
        Assert.Equal(Epoch(first.Id!), Epoch(online.Id!));
        ingest.Heartbeat([liveUser], kind: RecordKind.Offline);
        Assert.Equal(("offline", liveUser, "signout"), ((await stream.NextAsync($"user {liveUser} signout ({what})")) is var e ? (e.Type, e.User, e.Reason) : default));
        Assert.Single(stream.OfType("snapshot"));
    }

    [Fact]
    public async Task Resume_PositionPastTheLogsEnd_SnapshotFirst_ThenLiveEvents()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix);
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix);
        string snapshotId;
        await using (var stream = await Subscribe(query, "1"))
        {
            snapshotId = (await stream.NextAsync("the first stream's snapshot")).Id!;
            ingest.Heartbeat([1]);
            Assert.Equal(1UL, (await stream.NextAsync("user 1 online")).User);
        }
        // Set after the append's answer, which the query node's read of the log may overtake.
        long last = (long)await Eventually.Satisfy(() => ingest.Metrics.EventLogLastSeq.Value, v => v >= 1, "the last sequence number");
        string epoch = Epoch(snapshotId);

        // This epoch, one past the end and far past it: not positions of this log (garbage, or a line a store lost).
        await AssertSnapshotThenLive(query, ingest, $"{epoch}-{last + 1}", 10, "one past the end");
        await AssertSnapshotThenLive(query, ingest, $"{epoch}-{last + 1_000_000}", 20, "far past the end");
        // As the lastEventId parameter, too.
        await AssertSnapshotThenLive(query, ingest, null, 30, "no id");
        await using (var stream = await SseClient.OpenAsync(query.Client.BaseAddress!,
            "/v1/presence/events?ids=40&lastEventId=" + Uri.EscapeDataString($"{epoch}-{last + 500}")))
            Assert.Equal("snapshot", (await stream.NextAsync("a snapshot for a parameter past the end", TimeSpan.FromSeconds(10))).Type);
    }

    [Fact]
    public async Task Resume_ForeignEpochOrGarbage_SnapshotFirst_ThenLiveEvents()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix);
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix);
        string epoch;
        await using (var stream = await Subscribe(query, "1"))
            epoch = Epoch((await stream.NextAsync("the snapshot")).Id!);
        ingest.Heartbeat([1]);
        await Eventually.Until(() => ingest.Metrics.EventLogLastSeq.Value >= 1, "a line in the log");

        string foreign = epoch == "0badf00d" ? "0badf00e" : "0badf00d";
        ulong user = 100;
        foreach (var id in new[]
        {
            $"{foreign}-1", $"{foreign}-0", // another epoch: a store that lost its data, or another deployment
            $"{epoch}x-1", $"x{epoch}-1",
            "garbage", $"{epoch}-", $"{epoch}-x", $"{epoch}--1", $"{epoch}-1.5", $"{epoch}- 1", "-1", "1",
            $"{epoch}-99999999999999999999", // over a long
            new string('a', 80) + "-1",      // over the length an id has
        })
        {
            await AssertSnapshotThenLive(query, ingest, id, user, $"Last-Event-ID '{id}'");
            user += 10;
        }
    }

    [Fact]
    public async Task Resume_TrimmedFromTheLogOrOlderThanTheRing_SnapshotFirst_ThenLiveEvents()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix);
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();

        // Lines 1..4 with old times (a user online and signed out twice), then one now, whose append
        // trims every line older than a minute: the store holds only line 5.
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await AppendAsync(db, prefix, 0, ('n', 7, 1_000), ('s', 7, 2_000), ('n', 7, 3_000), ('s', 7, 4_000));
        long last = await AppendAsync(db, prefix, now - 60_000, ('n', 8, now), ('s', 8, now));
        Assert.Equal(6, last);
        var log = await LogAsync(db, prefix);
        Assert.Equal([5L, 6], log.Select(l => l.Seq));
        string epoch = (string)(await db.StringGetAsync(new EventLogKeys(prefix).Epoch))!;

        // A node started now loads what the store holds: it serves positions 4.. and nothing older.
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix, o => o.EventsBuffer = 1_000);
        await using (var resumed = await Subscribe(query, "7,8", $"{epoch}-4"))
        {
            var events = new[] { await resumed.NextAsync("line 5"), await resumed.NextAsync("line 6") };
            Assert.Equal([("online", 5L), ("offline", 6L)], events.Select(e => (e.Type, Seq(e.Id!))));
        }
        await AssertSnapshotThenLive(query, ingest, $"{epoch}-3", 200, "trimmed: line 4 is gone");
        await AssertSnapshotThenLive(query, ingest, $"{epoch}-0", 210, "the log's start, trimmed");

        // Older than the ring (1,000 lines) while the store still holds it: 1,200 lines after position 10.
        long from = (await LogAsync(db, prefix))[^1].Seq;
        now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        last = await AppendAsync(db, prefix, 0, [.. Enumerable.Range(0, 1_200).Select(i => (i % 2 == 0 ? 'n' : 's', 9UL, now))]);
        Assert.Equal(from + 1_200, last);
        Assert.True((await LogAsync(db, prefix))[0].Seq <= from + 1, "the store still holds every line after the position");
        await Eventually.Until(async () => await query.GaugeAsync("presence_event_feed_position") >= last, "the node read the 1,200 lines");
        await AssertSnapshotThenLive(query, ingest, $"{epoch}-{from}", 220, "older than the ring, held by the store");
    }

    [Fact]
    public async Task Resume_PositionTheStoreHasButTheNodesFeedHasNotRead_NoSnapshot_TheLinesAfterItArrive()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix);
        // A node that reads the log only when woken (the timer at its longest): lines appended without a wake stay unread.
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix, o => o.EventsPollMs = 60_000);
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        string epoch;
        await using (var stream = await Subscribe(query, "50"))
            epoch = Epoch((await stream.NextAsync("the snapshot")).Id!);
        long position = (long)await query.GaugeAsync("presence_event_feed_position");

        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long last = await AppendAsync(db, prefix, 0, ('n', 50, now), ('s', 50, now + 1), ('n', 50, now + 2));
        Assert.Equal(position + 3, last);
        Assert.Equal(position, (long)await query.GaugeAsync("presence_event_feed_position")); // not read yet

        // The client saw line position+1 elsewhere (another node): it is owed lines +2 and +3, and no snapshot.
        await using var resumed = await Subscribe(query, "50,51", $"{epoch}-{position + 1}");
        ingest.Heartbeat([51]); // its append wakes the node, which reads everything after its position
        var events = new[] { await resumed.NextAsync("line +2"), await resumed.NextAsync("line +3"), await resumed.NextAsync("user 51 online") };
        Assert.Equal(
            [("offline", 50UL, position + 2), ("online", 50UL, position + 3), ("online", 51UL, position + 4)],
            events.Select(e => (e.Type, e.User, Seq(e.Id!))));
        Assert.Empty(resumed.OfType("snapshot"));
    }

    [Fact]
    public async Task SlowSubscriber_EndedForOverflow_ResumesFromItsLastId_WithoutLoss()
    {
        var prefix = TestKeys.Prefix();
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix);
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();

        // A client that stops reading after its snapshot, on a socket with a small receive buffer.
        await using var slow = await SseClient.OpenAsync(query.Client.BaseAddress!, "/v1/presence/events?ids=60", read: false, receiveBuffer: 4096);
        await Eventually.Until(async () => await query.GaugeAsync("presence_event_subscribers") == 1, "the slow stream registered");
        long start = (long)await query.GaugeAsync("presence_event_feed_position");

        // User 60 online and offline, 2,000 lines an append, woken after each, until the node ends the stream.
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var keys = new EventLogKeys(prefix);
        long last = start;
        try
        {
            await Eventually.Until(async () =>
            {
                last = await AppendAsync(db, prefix, 0, [.. Enumerable.Range(0, 2_000).Select(i => (i % 2 == 0 ? 'n' : 's', 60UL, now))]);
                await db.PublishAsync(RedisChannel.Literal(keys.WakeChannel), "1");
                return await query.GaugeAsync("presence_event_streams_ended_total{reason=\"overflow\"}") >= 1;
            }, "the slow stream ended for overflow", TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}: {last - start} lines appended, the node read to {await query.GaugeAsync("presence_event_feed_position")}, "
                + $"sent {await query.GaugeAsync("presence_events_sent_total{type=\"online\"}")} online events, {await query.GaugeAsync("presence_event_subscribers")} streams", e);
        }
        Assert.True(last - start < 2_000_000, $"{last - start} lines appended"); // bounded, whatever the socket buffers hold

        // The client reads what it was sent, to the stream's end, then resumes from its last id.
        slow.StartReading();
        await Eventually.Until(() => slow.Ended, "the slow stream read to its end", TimeSpan.FromSeconds(60));
        var before = slow.All.Where(e => e.Type is "online" or "offline").ToArray();
        var snapshot = slow.OfType("snapshot").Single();
        Assert.NotEmpty(before);
        Assert.Equal(
            Enumerable.Range(1, before.Length).Select(i => Seq(snapshot.Id!) + i),
            before.Select(e => Seq(e.Id!))); // everything it got is every line after its snapshot, in order
        string lastId = slow.LastEventId!;
        Assert.True(Seq(lastId) < last, "the stream ended before the log's end");

        await using var resumed = await Subscribe(query, "60", lastId);
        var log = (await LogAsync(db, prefix)).Where(l => l.Seq > Seq(lastId)).ToArray();
        Assert.Equal(last - Seq(lastId), log.Length);
        for (int i = 0; i < log.Length; i++)
        {
            var e = await resumed.NextAsync($"line {log[i].Seq} (the {i + 1}. of {log.Length} after the resume)", TimeSpan.FromSeconds(30));
            Assert.Equal((log[i].IsOnline ? "online" : "offline", log[i].Seq, log[i].UserId), (e.Type, Seq(e.Id!), e.User));
        }
        Assert.Empty(resumed.OfType("snapshot"));
    }

    [Fact]
    public async Task StorePaused_StreamsStayOpenWithKeepalives_NoNewSnapshot_QueuedTransitionsArriveInOrder()
    {
        using var server = RedisServer.Start();
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(server.Configuration, prefix, o => o.TtlSeconds = 120);
        await using var query = await QueryHost.StartAsync(server.Configuration, prefix, o => o.EventsKeepalive = TimeSpan.FromMilliseconds(300));
        await using var stream = await Subscribe(query, "70,71,72,73");
        await stream.NextAsync("the snapshot");
        ingest.Heartbeat([70]);
        var first = await stream.NextAsync("user 70 online");
        Assert.Equal(("online", 70UL), (first.Type, first.User));
        double accepted = ingest.Metrics.RecordsAccepted.Value;

        server.Pause();
        try
        {
            // Transitions while the store is stopped: the ingester receives them and holds them.
            ingest.Heartbeat([71]);
            ingest.Heartbeat([72]);
            ingest.Heartbeat([73]);
            await Eventually.Until(() => ingest.Metrics.RecordsAccepted.Value >= accepted + 3, "the ingester took the three records");
            await Eventually.Until(async () => await query.GaugeAsync("presence_event_feed_errors_total") >= 2, "the node's reads of the log failing");
            int comments = stream.All.Count(e => e.Type == "comment");
            await Eventually.Until(() => stream.All.Count(e => e.Type == "comment") >= comments + 3, "keepalives while the store is stopped");
            Assert.False(stream.Ended, "the stream stays open");
            Assert.Equal(["snapshot", "online"], stream.All.Where(e => e.Type != "comment").Select(e => e.Type));
        }
        finally
        {
            server.Resume();
        }

        var queued = new[]
        {
            await stream.NextAsync("the 1st transition queued in the pause", TimeSpan.FromSeconds(30)),
            await stream.NextAsync("the 2nd", TimeSpan.FromSeconds(30)),
            await stream.NextAsync("the 3rd", TimeSpan.FromSeconds(30)),
        };
        Assert.Equal([71UL, 72UL, 73UL], queued.Select(e => e.User).Order());
        Assert.All(queued, e => Assert.Equal("online", e.Type));
        // In the log's order: exactly the lines the store holds for these users after the first event.
        using var mux = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var log = (await LogAsync(mux.GetDatabase(), prefix)).Where(l => l.Seq > Seq(first.Id!) && l.Seq <= Seq(queued[^1].Id!)).ToArray();
        Assert.Equal(
            log.Select(l => (l.IsOnline ? "online" : "offline", l.UserId, l.Seq)),
            queued.Select(e => (e.Type, e.User, Seq(e.Id!))));

        // The stream goes on as before.
        ingest.Heartbeat([71], kind: RecordKind.Offline);
        var signout = await stream.NextAsync("user 71 signs out after the pause");
        Assert.Equal(("offline", 71UL, "signout"), (signout.Type, signout.User, signout.Reason));
        Assert.Single(stream.OfType("snapshot")); // the store came back with its data: no new snapshot
        Assert.Equal(0, await query.GaugeAsync("presence_event_resyncs_total"));
    }
}
