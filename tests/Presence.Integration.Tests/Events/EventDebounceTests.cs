using System.Net;
using System.Text;
using Presence.Core;
using Presence.Integration.Tests.Ingest;
using Presence.Integration.Tests.Query;
using Presence.Testing;

namespace Presence.Integration.Tests.Events;

/// <summary>
/// <c>debounce=S</c> on the events routes (HTTP-API.md, "Debounce") against a real redis-server, a
/// real ingester (UDP on 127.0.0.1) and a real query node (Kestrel on port 0): a user that flaps
/// faster than S is never shown offline (a plain stream beside it sees both events), one slower
/// than S is shown offline S after its <c>at</c>, the snapshot shows a held user online, a resume
/// with the same debounce on the same node sees the same events, and any other id gets a snapshot.
/// </summary>
/// <remarks>
/// A "marker" (another user's online, sent after the flap) proves a flap was not sent: a stream
/// sends in the order it reads, and the marker is read after the flap's online.
/// </remarks>
[Collection(RedisCollection.Name)]
public sealed class EventDebounceTests(RedisFixture redis)
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30); // for waiting only: what is asserted is exact

    private static Task<SseClient> Subscribe(QueryHost query, string ids, int? debounce = null, string? lastEventId = null) =>
        SseClient.OpenAsync(query.Client.BaseAddress!, $"/v1/presence/events?ids={ids}" + (debounce is { } s ? $"&debounce={s}" : ""), lastEventId);

    private static async Task<SseEvent> Snapshot(SseClient stream, string what)
    {
        var snapshot = await stream.NextAsync(what, s_wait);
        Assert.True(snapshot.Type == "snapshot", $"{what}: the first event is {snapshot}");
        return snapshot;
    }

    private static bool IsOnline(SseEvent snapshot, ulong user) =>
        snapshot.Json.GetProperty("users").EnumerateArray().Single(u => u.GetProperty("id").GetString() == user.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .GetProperty("online").GetBoolean();

    private static async Task<SseEvent> Expect(SseClient stream, string type, ulong user, string what)
    {
        var e = await stream.NextAsync(what, s_wait);
        Assert.True((e.Type, e.User) == (type, user), $"{what}: got {e}; received: {string.Join(" | ", stream.All)}");
        return e;
    }

    /// <summary>An ingester and a query node, with <paramref name="online"/> online in the events log.</summary>
    private async Task<(IngestTestHost Ingest, QueryHost Query)> StartWithOnlineAsync(params ulong[] online)
    {
        var (ingest, query) = await EventStreamTests.StartAsync(redis.Server.Configuration, TestKeys.Prefix());
        ingest.Heartbeat(online);
        await Eventually.Until(() => ingest.Metrics.EventLogLastSeq.Value >= online.Length, $"users {string.Join(", ", online)} online in the log");
        return (ingest, query);
    }

    /// <summary>Signs <paramref name="user"/> out and back in, each step seen on the plain stream; the two events.</summary>
    private static async Task<(SseEvent Offline, SseEvent Online)> FlapAsync(IngestTestHost ingest, SseClient plain, ulong user)
    {
        ingest.Heartbeat([user], kind: RecordKind.Offline);
        var offline = await Expect(plain, "offline", user, $"user {user}'s sign-out on the plain stream");
        ingest.Heartbeat([user]);
        var online = await Expect(plain, "online", user, $"user {user} back on the plain stream");
        return (offline, online);
    }

    [Fact]
    public async Task FlapFasterThanDebounce_NeitherEventSent_PlainStreamSeesBoth_Counted()
    {
        var (ingest, query) = await StartWithOnlineAsync(1);
        await using var _ = ingest;
        await using var __ = query;
        await using var plain = await Subscribe(query, "1,2");
        await using var debounced = await Subscribe(query, "1,2", debounce: 20);
        Assert.True(IsOnline(await Snapshot(plain, "the plain snapshot"), 1));
        Assert.True(IsOnline(await Snapshot(debounced, "the debounced snapshot"), 1));

        var (offline, online) = await FlapAsync(ingest, plain, 1);
        Assert.True(online.At - offline.At < 20_000, "the flap is shorter than the debounce");
        ingest.Heartbeat([2]);
        await Expect(plain, "online", 2, "the marker on the plain stream");
        await Expect(debounced, "online", 2, "the marker, first on the debounced stream: user 1's flap not sent");
        await Eventually.Until(async () => await query.GaugeAsync("presence_events_suppressed_total") == 2, "the offline and the online counted as suppressed");
    }

    [Fact]
    public async Task TimeoutFlapFasterThanDebounce_NeitherSent() // a device that missed heartbeats and came back: the usual blink
    {
        var prefix = TestKeys.Prefix();
        var (ingest, query) = await EventStreamTests.StartAsync(redis.Server.Configuration, prefix, ttlSeconds: 2);
        await using var _ = ingest;
        await using var __ = query;
        await using var plain = await Subscribe(query, "5,6");
        await using var debounced = await Subscribe(query, "5,6", debounce: 15);
        await Snapshot(plain, "the plain snapshot");
        await Snapshot(debounced, "the debounced snapshot");

        ingest.Heartbeat([5]);
        await Expect(plain, "online", 5, "user 5 online (plain)");
        await Expect(debounced, "online", 5, "user 5 online (debounced: onlines are not delayed)");
        var offline = await Expect(plain, "offline", 5, "user 5's timeout (plain)");
        Assert.Equal("timeout", offline.Reason);
        ingest.Heartbeat([5]);
        await Expect(plain, "online", 5, "user 5 back (plain)");
        ingest.Heartbeat([6]);
        await Expect(plain, "online", 6, "the marker (plain)");
        await Expect(debounced, "online", 6, "the marker, next on the debounced stream: user 5's blink not sent");
    }

    [Fact]
    public async Task FlapSlowerThanDebounce_OfflineSentDebounceAfterItsAt_ThenOnline()
    {
        var (ingest, query) = await StartWithOnlineAsync(1);
        await using var _ = ingest;
        await using var __ = query;
        await using var debounced = await Subscribe(query, "1", debounce: 2);
        Assert.True(IsOnline(await Snapshot(debounced, "the debounced snapshot"), 1));

        ingest.Heartbeat([1], kind: RecordKind.Offline);
        var offline = await Expect(debounced, "offline", 1, "user 1's sign-out, when due");
        long received = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.Equal("signout", offline.Reason);
        Assert.True(received >= offline.At + 2_000, $"sent {received - offline.At} ms after its at: not before the debounce (2 s)");
        ingest.Heartbeat([1]);
        var online = await Expect(debounced, "online", 1, "user 1 back, after its offline was sent");
        Assert.True(online.At > offline.At);
        Assert.Equal(0, await query.GaugeAsync("presence_events_suppressed_total"));
    }

    [Fact]
    public async Task Snapshot_ShowsAUserWhoseOfflineIsHeldOnline_APlainSnapshotOffline()
    {
        var (ingest, query) = await StartWithOnlineAsync(1);
        await using var _ = ingest;
        await using var __ = query;
        await using var plain = await Subscribe(query, "1,2");
        await Snapshot(plain, "the plain snapshot");
        ingest.Heartbeat([1], kind: RecordKind.Offline);
        var offline = await Expect(plain, "offline", 1, "user 1's sign-out (plain)");

        await using var later = await Subscribe(query, "1,2");
        Assert.False(IsOnline(await Snapshot(later, "a plain snapshot after the sign-out"), 1));
        await using var debounced = await Subscribe(query, "1,2", debounce: 30);
        var snapshot = await Snapshot(debounced, "a debounced snapshot after the sign-out");
        Assert.True(IsOnline(snapshot, 1), $"held: shown online: {snapshot.Data}");
        long lastSeen = snapshot.Json.GetProperty("users")[0].GetProperty("lastSeenMs").GetInt64();
        Assert.InRange(lastSeen, offline.At - 999, offline.At); // its last seen (whole seconds), or the sign-out's own time
        Assert.Equal(1, snapshot.Json.GetProperty("online").GetInt32());

        ingest.Heartbeat([1]);
        await Expect(plain, "online", 1, "user 1 back (plain)");
        ingest.Heartbeat([2]);
        await Expect(plain, "online", 2, "the marker (plain)");
        await Expect(debounced, "online", 2, "the marker, first on the debounced stream: the held offline cancelled");
    }

    [Fact]
    public async Task Resume_SameDebounceSameNode_TheSameEvents_AnyOtherIdASnapshot()
    {
        var (ingest, query) = await StartWithOnlineAsync(1, 2);
        await using var _ = ingest;
        await using var __ = query;
        await using var plain = await Subscribe(query, "1,2,3");
        var plainSnapshot = await Snapshot(plain, "the plain snapshot");
        await using var first = await Subscribe(query, "1,2,3", debounce: 1);
        var snapshot = await Snapshot(first, "the debounced snapshot");

        // User 1 signs out and user 3 comes online right after (usually read before user 1's offline is
        // due, and then sent first); user 2 signs out; both offlines sent when due; then user 1 comes back.
        ingest.Heartbeat([1], kind: RecordKind.Offline);
        await Expect(plain, "offline", 1, "user 1's sign-out (plain)");
        ingest.Heartbeat([3]);
        await Expect(plain, "online", 3, "user 3 online (plain)");
        ingest.Heartbeat([2], kind: RecordKind.Offline);
        await Expect(plain, "offline", 2, "user 2's sign-out (plain)");
        await Eventually.Until(() => first.OfType("offline").Length == 2, "both offlines sent on the debounced stream when due", s_wait);
        ingest.Heartbeat([1]);
        await Expect(plain, "online", 1, "user 1 back (plain)");
        await Eventually.Until(() => first.OfType("online").Length == 2, "user 1's online on the debounced stream", s_wait);
        var sent = first.All.Where(e => e.Type is "online" or "offline").ToArray();
        Assert.Equal(4, sent.Length);

        // From the snapshot, and from each event: exactly what followed it.
        for (int from = -1; from < sent.Length - 1; from++)
        {
            string id = from < 0 ? snapshot.Id! : sent[from].Id!;
            await using var resumed = await Subscribe(query, "1,2,3", debounce: 1, lastEventId: id);
            for (int i = from + 1; i < sent.Length; i++)
            {
                var e = await resumed.NextAsync($"event {i} again, resumed after {id}", s_wait);
                Assert.True((e.Type, e.Id, e.Data) == (sent[i].Type, sent[i].Id, sent[i].Data), $"resumed after {id}: got {e}, the stream sent {sent[i]}");
            }
            Assert.Empty(resumed.OfType("snapshot"));
        }

        // Another debounce, no debounce, a plain stream's id, a garbled one: a fresh snapshot.
        foreach (var (debounce, id) in new (int?, string)[]
        {
            (2, sent[0].Id!), (null, sent[0].Id!), (1, plainSnapshot.Id!), (1, sent[0].Id!.Replace("-1", "-9", StringComparison.Ordinal) + "0"),
        })
        {
            await using var other = await Subscribe(query, "1,2,3", debounce, lastEventId: id);
            await Snapshot(other, $"a snapshot for debounce {debounce?.ToString() ?? "none"} after {id}");
        }
    }

    [Fact]
    public async Task Resume_OnAnotherNode_Snapshot()
    {
        var prefix = TestKeys.Prefix();
        var (ingest, query) = await EventStreamTests.StartAsync(redis.Server.Configuration, prefix);
        await using var _ = ingest;
        await using var __ = query;
        await using var other = await QueryHost.StartAsync(redis.Server.Configuration, prefix);
        await using var stream = await Subscribe(query, "1", debounce: 1);
        await Snapshot(stream, "the first node's snapshot");
        ingest.Heartbeat([1]);
        var online = await Expect(stream, "online", 1, "user 1 online");

        await using var sameNode = await Subscribe(query, "1", debounce: 1, lastEventId: online.Id);
        ingest.Heartbeat([1], kind: RecordKind.Offline);
        await Expect(sameNode, "offline", 1, "the same node resumes: the offline, no snapshot");
        await using var otherNode = await Subscribe(other, "1", debounce: 1, lastEventId: online.Id);
        Assert.False(IsOnline(await Snapshot(otherNode, "another node: a snapshot"), 1));
    }

    [Theory]
    [InlineData("61")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("5&debounce=5")]
    public async Task BadDebounce_400Problem_NoStream(string value)
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix());
        using var get = await query.Client.GetAsync($"/v1/presence/events?ids=1&debounce={value}");
        await AssertBadDebounce(get);
        using var post = await query.Client.PostAsync($"/v1/presence/events?debounce={value}", new StringContent("{\"ids\":[1]}", Encoding.UTF8, "application/json"));
        await AssertBadDebounce(post);
        Assert.Equal(0, await query.GaugeAsync("presence_event_subscribers"));
    }

    private static async Task AssertBadDebounce(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await QueryHost.Json(response);
        Assert.Equal("urn:presence:problem:bad-debounce", problem.GetProperty("type").GetString());
    }
}
