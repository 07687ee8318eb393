using Presence.Core;
using Presence.Ingest.Internal;
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
        var writes = Writes(StoreWriter.ChunkSize * 2 + 10);
        var ok = Enumerable.Repeat(true, writes.Count).ToArray();

        int skipped = await writer.WriteAsync(writes, ok);

        Assert.Equal(writes.Count - StoreWriter.ChunkSize, skipped);
        Assert.All(ok, Assert.False);
    }

    [Fact]
    public async Task WriteAsync_StoreUp_EveryChunkIssued_AllConfirmed()
    {
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var writer = new StoreWriter(mux.GetDatabase(), TestKeys.Prefix());
        var writes = Writes(StoreWriter.ChunkSize + 10);
        var ok = new bool[writes.Count];

        Assert.Equal(0, await writer.WriteAsync(writes, ok));
        Assert.All(ok, Assert.True);
    }
}
