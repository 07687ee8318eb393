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
        await Eventually.Equal(1, () => ingest.Metrics.WritesOk.Value, "store writes ok before the outage");

        server.Stop();
        var during = Enumerable.Range(1000, 500).Select(i => (ulong)i).ToArray();
        ingest.Heartbeat(during, perFrame: 20);
        await Eventually.Until(() => ingest.Metrics.WritesFailed.Value > 0, "writes failing while the store is away");
        await Eventually.Until(() => ingest.Host.PendingUsers >= 500, "users held during the outage");
        await Eventually.Equal(0, () => ingest.Metrics.StoreUp.Value, "presence_store_up while the store is away");
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
        await Eventually.Equal(0, () => ingest.Host.PendingUsers, "pending users after the restart");
        await Eventually.Equal(1, () => ingest.Metrics.StoreUp.Value, "presence_store_up after the restart");
        await Eventually.Equal(0, () => ingest.Metrics.UsersExpired.Value, "users expired");
    }

    [Fact]
    public async Task StorePaused_WritesTimeOut_ThenLandAfterResume()
    {
        using var server = RedisServer.Start();
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(server.Configuration, prefix, o => o.StoreTimeoutMs = 300);
        ingest.Heartbeat([1]);
        await Eventually.Equal(1, () => ingest.Metrics.WritesOk.Value, "store writes ok before the pause");

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
        // The keys alone prove nothing: the SETs that timed out were queued in the paused server's
        // socket and ran when it resumed, retried or not. The flusher must have retried each user
        // and had it confirmed: one write ok before the pause, then one per user.
        await Eventually.Equal(1 + users.Length, () => ingest.Metrics.WritesOk.Value, "store writes ok: one before the pause, then each user's retry");
        await Eventually.Equal(0, () => ingest.Host.PendingUsers, "pending users after the resume");
    }

    [Fact]
    public async Task StoreAwayLongerThanTtl_ExpiredUsersDroppedNotWritten()
    {
        using var server = RedisServer.Start();
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(server.Configuration, prefix, o =>
        {
            o.TtlSeconds = 3;
            o.StoreTimeoutMs = 200;
            o.Events = "off"; // the events log's scripts run SETs of their own, which the count below would take for writes
        });
        server.Stop();

        ingest.Heartbeat([1, 2, 3], perFrame: 3);
        await Eventually.Equal(3, () => ingest.Metrics.UsersExpired.Value, "users dropped once their TTL ran out");
        server.Restart();

        // A user heard once the ingest is connected again is written in the same batch as anything
        // still held from before, or after it: once it is confirmed, an expired user written by
        // mistake would have reached the store too. The restarted server counts every SET it ran.
        using var http = new HttpClient { BaseAddress = ingest.Host.HttpAddress };
        await Eventually.Until(async () =>
        {
            using var ready = await http.GetAsync("/readyz");
            return ready.IsSuccessStatusCode;
        }, "the ingest connected to the restarted store");
        ingest.Heartbeat([4]);
        await Eventually.Equal(1, () => ingest.Metrics.WritesOk.Value, "store writes ok: the user heard after the restart");
        await Eventually.Equal(0, () => ingest.Host.PendingUsers, "pending users");
        // The client writes a key with an expiry as SET … PX, PSETEX or SETEX: one of them, once.
        long writes = new[] { "set", "psetex", "setex" }.Sum(command => Query.CommandStats.Calls(server, command));
        Assert.True(writes == 1, $"{writes} writes reached the restarted store; only the user heard after the restart may");
    }

    [Fact]
    public async Task PendingCap_StoreAway_NewUsersBeyondCapCountedNotHeld()
    {
        using var server = RedisServer.Start();
        await using var ingest = await IngestTestHost.StartAsync(server.Configuration, TestKeys.Prefix(), o => o.MaxPending = 10);
        server.Stop();

        ingest.Heartbeat(Enumerable.Range(1, 50).Select(i => (ulong)i), perFrame: 50);

        await Eventually.Equal(40, () => ingest.Metrics.PendingFullDropped.Value, "users over the cap counted dropped");
        await Eventually.Equal(10, () => ingest.Host.PendingUsers, "pending users");
    }

    [Fact]
    public async Task StoreAway_UsersWrittenSecondsLate_ExpireTtlAfterTheirReceiveTime()
    {
        const int ttlMs = 30_000;
        const int heldMs = 2_000;
        using var server = RedisServer.Start();
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(server.Configuration, prefix, o => o.StoreTimeoutMs = 500);
        server.Stop();
        var users = IngestTestHost.Users(1, 50);
        long sentAt = Now();

        ingest.Heartbeat(users, perFrame: 10);
        // Held long enough that a key written with the whole ttl would expire seconds late.
        await Eventually.Until(() => ingest.Metrics.WritesFailed.Value > 0 && Now() - sentAt >= heldMs, $"writes failing for {heldMs} ms");
        long restartAt = Now();
        server.Restart();

        using var mux = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var db = mux.GetDatabase();
        await Eventually.Until(() => IngestTestHost.AllExist(db, prefix, users), "every held user written after the restart");
        long seenAt = Now();
        foreach (var u in users)
        {
            var key = IngestTestHost.Key(prefix, u);
            long value = (long)await db.StringGetAsync(key);
            Assert.InRange(value, sentAt - 5, restartAt);
            // Written after the restart (a write issued before it failed): PX was the time left then,
            // ttl − (issue − value), and Redis ran the SET between the issue and seenAt. So the key
            // expires at value + ttl plus at most (seenAt − restartAt); with the whole ttl as PX it
            // would expire at least (restartAt − value) ≥ heldMs later than value + ttl.
            long expireAt = (long)await db.ExecuteAsync("PEXPIRETIME", key);
            Assert.InRange(expireAt, value + ttlMs - 2, value + ttlMs + (seenAt - restartAt) + 2);
        }
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
