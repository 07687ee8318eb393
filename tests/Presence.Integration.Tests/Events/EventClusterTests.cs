using Presence.Core;
using Presence.Integration.Tests.Ingest;
using Presence.Integration.Tests.Query;
using Presence.Testing;

namespace Presence.Integration.Tests.Events;

/// <summary>Events with two ingesters and a real three-master Redis Cluster: the log's keys share one slot, the users' keys spread over all.</summary>
[Collection(RedisCollection.Name)]
public sealed class EventClusterTests(RedisClusterFixture fixture) : IClassFixture<RedisClusterFixture>
{
    [Fact]
    public async Task TwoIngesters_ThreeMasters_EveryTransitionOnce_StreamEndsAgreeingWithBatch()
    {
        var cluster = fixture.Cluster.Configuration;
        var prefix = TestKeys.Prefix();
        await using var a = await IngestTestHost.StartAsync(cluster, prefix, o => o.TtlSeconds = 8); // the sign-outs go after every online is read: before the keys lapse, loaded too
        await using var b = await IngestTestHost.StartAsync(cluster, prefix, o => o.TtlSeconds = 8);
        await using var query = await QueryHost.StartAsync(cluster, prefix);
        var users = IngestTestHost.Users(40, 10);
        await using var stream = await SseClient.OpenAsync(query.Client.BaseAddress!, "/v1/presence/events?ids=" + string.Join(",", users));
        var snapshot = await stream.NextAsync("the snapshot");
        Assert.Equal(0, snapshot.Json.GetProperty("online").GetInt32());

        a.Heartbeat(users[..5]);
        b.Heartbeat(users[5..]);
        var onlines = new List<SseEvent>();
        for (int i = 0; i < users.Length; i++)
            onlines.Add(await stream.NextAsync($"online {i + 1} of {users.Length}"));
        Assert.Equal(users, onlines.Select(e => e.User).Order());
        Assert.All(onlines, e => Assert.Equal("online", e.Type));

        // Sign-outs through the other ingester than the one that wrote the user.
        b.Heartbeat([40], kind: RecordKind.Offline);
        a.Heartbeat([45], kind: RecordKind.Offline);
        // Everyone else goes silent past the ttl: each ingester sees the expiry of the users it wrote.
        var offlines = new List<SseEvent>();
        for (int i = 0; i < users.Length; i++)
            offlines.Add(await stream.NextAsync($"offline {i + 1} of {users.Length}", TimeSpan.FromSeconds(30)));
        Assert.Equal(users, offlines.Select(e => e.User).Order());
        Assert.Equal([40UL, 45UL], offlines.Where(e => e.Reason == "signout").Select(e => e.User).Order());
        Assert.Equal(8, offlines.Count(e => e.Reason == "timeout"));

        var batch = await QueryHost.Json(await query.Client.GetAsync("/v1/presence?ids=" + string.Join(",", users)));
        Assert.Equal(0, batch.GetProperty("online").GetInt32());
        // Nothing more arrives for them: the ingester that did not write a user and was told of its
        // sign-out adds nothing. Seen on the stream: user 40 comes back, and its online event is the
        // next one (events arrive in the log's order, so any extra line appended before it came first).
        a.Heartbeat([40]);
        var back = await stream.NextAsync("user 40 online again, the next event", TimeSpan.FromSeconds(30));
        Assert.Equal(("online", 40UL), (back.Type, back.User));
        Assert.Equal(21, stream.All.Count(e => e.Type is "online" or "offline"));
    }
}
