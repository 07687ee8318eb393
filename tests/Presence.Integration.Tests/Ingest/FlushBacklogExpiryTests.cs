using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Presence.Core;
using Presence.Ingest;
using Presence.Ingest.Internal.Coalesce;
using Presence.Ingest.Internal.Flush;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Intake;
using Presence.Ingest.Internal.Store;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Ingest;

/// <summary>
/// A flush larger than one chunk while the store stalls (redis-server paused, shorter than the
/// command timeout): the chunks after the first are issued only once it is answered, seconds
/// later. Their keys must still expire at receive + ttl (plus the command's own latency), not
/// receive + ttl + the time they waited in the ingester: PX is the time left when each chunk is issued.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class FlushBacklogExpiryTests
{
    private const int Users = StoreWriter.DefaultChunkSize + 4_000; // two chunks
    private const int TtlSeconds = 30;

    /// <summary>How long the store stalls the first chunk: well over <see cref="LatencyMarginMs"/>, well under the command timeout.</summary>
    private static readonly TimeSpan s_stall = TimeSpan.FromSeconds(4);

    /// <summary>What a key may outlive receive + ttl by: its command's latency (#19's expiry rule allows 1 s with the ingest keeping up).</summary>
    private const long LatencyMarginMs = 2_000;

    [Fact]
    public async Task ChunkIssuedAfterAStall_ItsKeysExpireAtReceivePlusTtl_NotLaterByTheStall()
    {
        using var server = RedisServer.Start();
        using var mux = await ConnectionMultiplexer.ConnectAsync(server.Configuration + ",syncTimeout=30000,asyncTimeout=30000");
        var db = mux.GetDatabase();
        var prefix = TestKeys.Prefix();
        var metrics = new IngestMetrics();
        var clock = new IngestClock();
        var options = new IngestOptions { FlushMs = 50, TtlSeconds = TtlSeconds, MaxPending = 100_000 };
        Flusher? flusher = null;
        var room = new PendingBudget(options.MaxPending, () => flusher?.PendingUsers ?? 0);
        var coalescer = new Coalescer(Channel.CreateUnbounded<RecordBatch>().Reader, new RecordBatchPool(64), metrics, room);
        flusher = new Flusher(coalescer, new StoreWriter(db, prefix), options, metrics, clock, NullLogger.Instance, room);

        var batch = new RecordBatch(Users) { ReceiveMs = clock.NowMs };
        for (ulong user = 1; user <= Users; user++)
            batch.Add(user, RecordKind.Heartbeat);
        coalescer.Apply(batch);
        long receivedMs = batch.ReceiveMs;

        using var stop = new CancellationTokenSource();
        server.Pause();
        Task flushing = Task.CompletedTask;
        try
        {
            flushing = Task.Run(() => flusher.RunAsync(stop.Token));
            await Eventually.Until(() => metrics.PendingUsers.Value == Users, "the flush under way (its first chunk waits on the paused store)");
            await Task.Delay(s_stall); // the fault's length, not a wait for a result
        }
        finally
        {
            server.Resume();
        }
        await Eventually.Until(() => metrics.WritesOk.Value == Users, "every user written", TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await flushing.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, metrics.WritesFailed.Value);

        var expiries = await Task.WhenAll(Enumerable.Range(1, Users).Select(u =>
            db.ExecuteAsync("PEXPIRETIME", PresenceKeys.Format(prefix, (ulong)u))));
        long dueMs = receivedMs + TtlSeconds * 1000L;
        var late = expiries.Select(e => (long)e - dueMs).ToArray();
        Assert.True(late.Min() >= 0, $"a key expires {-late.Min()} ms before receive + ttl");
        // The first chunk's commands waited in the stalled store itself, and PX counts from when a
        // command runs (PXAT is refused by Garnet): they are late by the stall, which no ingester
        // can help. The second chunk's were issued after the stall: on time, give or take their latency.
        Assert.Equal(StoreWriter.DefaultChunkSize, late.Count(l => l > LatencyMarginMs));
        Assert.Equal(Users - StoreWriter.DefaultChunkSize, late.Count(l => l <= LatencyMarginMs));
    }
}
