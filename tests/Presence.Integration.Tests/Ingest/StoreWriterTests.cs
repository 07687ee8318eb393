using Presence.Core;
using Presence.Ingest.Internal.Flush;
using Presence.Ingest.Internal.Store;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Ingest;

[Collection(RedisCollection.Name)]
public sealed class StoreWriterTests(RedisFixture redis)
{
    private static List<PendingWrite> Writes(int users) =>
        Enumerable.Range(1, users).Select(i => new PendingWrite((ulong)i, 1, RecordKind.Heartbeat, 30_000)).ToList();

    [Fact]
    public async Task WriteAsync_StoreAway_FirstChunkAllFails_RestNotIssued_AllReportedFailed()
    {
        using var server = RedisServer.Start();
        using var mux = await ConnectionMultiplexer.ConnectAsync(StoreConnection.Configure(server.Configuration, 500));
        server.Stop();
        await Eventually.Until(() => !mux.IsConnected, "the client sees the store gone");
        var writer = new StoreWriter(mux.GetDatabase(), TestKeys.Prefix());
        var writes = Writes(StoreWriter.DefaultChunkSize * 2 + 10);
        var outcomes = Enumerable.Repeat(WriteOutcome.Refreshed, writes.Count).ToArray();

        int skipped = await writer.WriteAsync(writes, outcomes);

        Assert.Equal(writes.Count - StoreWriter.DefaultChunkSize, skipped);
        Assert.All(outcomes, o => Assert.Equal(WriteOutcome.Failed, o));
    }

    [Fact]
    public async Task WriteAsync_StoreUp_EveryChunkIssued_AllConfirmed()
    {
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var writer = new StoreWriter(mux.GetDatabase(), TestKeys.Prefix());
        var writes = Writes(StoreWriter.DefaultChunkSize + 10);
        var outcomes = new WriteOutcome[writes.Count];

        Assert.Equal(0, await writer.WriteAsync(writes, outcomes));
        Assert.All(outcomes, o => Assert.Equal(WriteOutcome.Created, o)); // a fresh prefix: no key existed
        Assert.Equal(0, await writer.WriteAsync(writes, outcomes));
        Assert.All(outcomes, o => Assert.Equal(WriteOutcome.Landed, o)); // same receive time again: an earlier attempt of this very write
    }

    [Fact]
    public async Task WriteAsync_TellsNewOnlinePeriodsAndSignOuts()
    {
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var writer = new StoreWriter(mux.GetDatabase(), TestKeys.Prefix());
        var outcomes = new WriteOutcome[2];

        await writer.WriteAsync([new PendingWrite(1, 100, RecordKind.Heartbeat, 30_000), new PendingWrite(2, 100, RecordKind.Offline, 30_000)], outcomes);
        Assert.Equal([WriteOutcome.Created, WriteOutcome.Absent], outcomes);

        await writer.WriteAsync([new PendingWrite(1, 200, RecordKind.Heartbeat, 30_000), new PendingWrite(1, 300, RecordKind.Offline, 30_000)], outcomes);
        Assert.Equal([WriteOutcome.Refreshed, WriteOutcome.Deleted], outcomes);
    }

    [Fact]
    public async Task WriteAsync_Refresh_SetsOnlyAnExistingKey_WithItsTimeLeft()
    {
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var prefix = TestKeys.Prefix();
        var writer = new StoreWriter(mux.GetDatabase(), prefix);
        var database = mux.GetDatabase();
        var outcomes = new WriteOutcome[2];
        await database.StringSetAsync(prefix + "1", 100, TimeSpan.FromSeconds(30));

        await writer.WriteAsync(
            [new PendingWrite(1, 200, RecordKind.Heartbeat, 20_000, Refresh: true), new PendingWrite(2, 200, RecordKind.Heartbeat, 20_000, Refresh: true)],
            outcomes);

        Assert.Equal([WriteOutcome.Refreshed, WriteOutcome.Missing], outcomes);
        Assert.Equal(200, (long)await database.StringGetAsync(prefix + "1"));
        var left = await database.KeyTimeToLiveAsync(prefix + "1");
        Assert.InRange(left!.Value.TotalMilliseconds, 10_000, 20_000); // the write's own PX, not the 30 s before it
        Assert.False(await database.KeyExistsAsync(prefix + "2")); // XX: a key found gone is not recreated
    }
}
