using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Ingest;

/// <summary>Store outages: each test owns its redis-server, so stopping it disturbs no one else.</summary>
[Collection(RedisCollection.Name)]
public sealed class IngestOutageTests
{
    [Fact]
    public async Task StoreStoppedMidRun_UsersFromTheOutage_OnlineAfterRestart_PendingBackToZero()
    {
        using var server = RedisServer.Start();
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(server.Configuration, prefix, o => o.StoreTimeoutMs = 500);
        ingest.Heartbeat([1]);
        await Eventually.Until(() => ingest.Metrics.WritesOk.Value == 1, "a write before the outage");

        server.Stop();
        var during = Enumerable.Range(1000, 500).Select(i => (ulong)i).ToArray();
        ingest.Heartbeat(during, perFrame: 20);
        await Eventually.Until(() => ingest.Metrics.WritesFailed.Value > 0, "writes failing while the store is away");
        await Eventually.Until(() => ingest.Host.PendingUsers >= 500, "users held during the outage");
        Assert.Equal(0, ingest.Metrics.StoreUp.Value);
        ingest.Heartbeat(during.Take(10), perFrame: 10); // still receiving while the store is away

        server.Restart();

        using var mux = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var db = mux.GetDatabase();
        await Eventually.Until(async () =>
        {
            foreach (var u in during)
                if (!await db.KeyExistsAsync(IngestTestHost.Key(prefix, u)))
                    return false;
            return true;
        }, "every user of the outage online after the restart");
        await Eventually.Until(() => ingest.Host.PendingUsers == 0, "pending users back to 0");
        Assert.Equal(1, ingest.Metrics.StoreUp.Value);
        Assert.Equal(0, ingest.Metrics.UsersExpired.Value);
    }

    [Fact]
    public async Task StorePaused_WritesTimeOut_ThenLandAfterResume()
    {
        using var server = RedisServer.Start();
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(server.Configuration, prefix, o => o.StoreTimeoutMs = 300);
        ingest.Heartbeat([1]);
        await Eventually.Until(() => ingest.Metrics.WritesOk.Value == 1, "a write before the pause");

        server.Pause();
        var users = Enumerable.Range(10, 100).Select(i => (ulong)i).ToArray();
        ingest.Heartbeat(users, perFrame: 50);
        await Eventually.Until(() => ingest.Metrics.WritesFailed.Value > 0, "writes timing out on a paused store");
        server.Resume();

        using var mux = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        await Eventually.Until(async () =>
        {
            foreach (var u in users)
                if (!await mux.GetDatabase().KeyExistsAsync(IngestTestHost.Key(prefix, u)))
                    return false;
            return true;
        }, "users written after the store resumed");
        await Eventually.Until(() => ingest.Host.PendingUsers == 0, "nothing held");
    }

    [Fact]
    public async Task StoreAwayLongerThanTtl_ExpiredUsersDroppedNotWritten()
    {
        using var server = RedisServer.Start();
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(server.Configuration, prefix, o =>
        {
            o.TtlSeconds = 1;
            o.StoreTimeoutMs = 200;
        });
        server.Stop();

        ingest.Heartbeat([1, 2, 3], perFrame: 3);
        await Eventually.Until(() => ingest.Metrics.UsersExpired.Value == 3, "users dropped once their TTL ran out");
        server.Restart();

        await Eventually.Until(() => ingest.Host.PendingUsers == 0, "nothing held");
        Assert.StartsWith(":0", server.Command("DBSIZE"));
    }

    [Fact]
    public async Task PendingCap_StoreAway_NewUsersBeyondCapCountedNotHeld()
    {
        using var server = RedisServer.Start();
        await using var ingest = await IngestTestHost.StartAsync(server.Configuration, TestKeys.Prefix(), o => o.MaxPending = 10);
        server.Stop();

        ingest.Heartbeat(Enumerable.Range(1, 50).Select(i => (ulong)i), perFrame: 50);

        await Eventually.Until(() => ingest.Metrics.PendingFullDropped.Value == 40, "40 users over the cap counted");
        Assert.Equal(10, ingest.Host.PendingUsers);
    }
}
