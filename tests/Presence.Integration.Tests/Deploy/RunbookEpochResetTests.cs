using Presence.Core.Events;
using Presence.Integration.Tests.Events;
using Presence.Integration.Tests.Ingest;
using Presence.Integration.Tests.Query;
using Presence.Testing;

namespace Presence.Integration.Tests.Deploy;

/// <summary>
/// docs/REDIS.md, "Persistence and restarts": after a restore or a failover that may have lost
/// the events log's last lines, an operator deletes the log's epoch key; open streams then take a
/// new snapshot in a new epoch, which agrees with the batch answer, and events go on.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RunbookEpochResetTests(RedisFixture redis)
{
    private static string Epoch(SseEvent e) => e.Id![..e.Id!.LastIndexOf('-')];

    [Fact]
    public async Task EpochKeyDeleted_MidStream_StreamTakesANewSnapshotInANewEpoch_ThenEventsGoOn()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix);
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix);
        await using var stream = await SseClient.OpenAsync(query.Client.BaseAddress!, "/v1/presence/events?ids=40,41");
        var first = await stream.NextAsync("the snapshot");
        Assert.Equal("snapshot", first.Type);
        ingest.Heartbeat([40]);
        var online = await stream.NextAsync("user 40 online");
        Assert.Equal(("online", 40UL), (online.Type, online.User));

        // What REDIS.md tells the operator to run: redis-cli DEL '{<prefix>events}:epoch'.
        Assert.Equal(":1\r\n", redis.Server.Command("DEL", new EventLogKeys(prefix).Epoch)); // one key deleted (raw RESP)
        ingest.Heartbeat([41]); // an append: the log takes a new epoch, and the node reads it

        var second = await stream.NextAsync("a new snapshot after the epoch was deleted", TimeSpan.FromSeconds(30));
        Assert.Equal("snapshot", second.Type);
        Assert.NotEqual(Epoch(first), Epoch(second));
        var users = second.Json.GetProperty("users").EnumerateArray().ToDictionary(u => u.GetProperty("id").GetString()!, u => u.GetProperty("online").GetBoolean());
        Assert.True(users["40"], "user 40 is still online: only the epoch went, the log's online set is whole");
        if (!users["41"])
        {
            // 41's online line came after the snapshot's position: then it is the next event.
            var next = await stream.NextAsync("user 41 online", TimeSpan.FromSeconds(30));
            Assert.Equal(("online", 41UL), (next.Type, next.User));
            Assert.Equal(Epoch(second), Epoch(next));
        }
        Assert.Contains("\"online\":true", await query.Client.GetStringAsync("/v1/presence/41"));
    }
}
