using System.Net;
using System.Net.Sockets;
using Presence.Core;
using Presence.Core.Resp;
using Presence.Ingest.Internal.Flush;
using Presence.Ingest.Internal.Store;
using Presence.Testing;
using Presence.Testing.StandIns;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Ingest;

/// <summary>
/// The ingester's two writers against redis-server: <see cref="StoreWriter"/> (StackExchange.Redis,
/// "client") and <see cref="DirectStoreWriter"/> (its own connection, "direct") give the same outcomes
/// for the same writes; the direct writer's failures (refused commands, a refused set-up, no answer in
/// time, a store restart) fail only what was not answered, and the next chunk opens a new connection.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class StoreWriterTests(RedisFixture redis)
{
    /// <summary>A writer of <paramref name="kind"/> ("client" or "direct") on <paramref name="server"/>; the direct one falls back to the client one never.</summary>
    private static async Task<(IStoreWriter Writer, IDatabase Database, IAsyncDisposable Owner)> WriterAsync(
        string kind, RedisServer server, string prefix, bool readOldValue = true, TimeSpan? answerWithin = null)
    {
        var mux = await ConnectionMultiplexer.ConnectAsync(StoreConnection.Configure(server.Configuration, 2000));
        var client = new StoreWriter(mux.GetDatabase(), prefix, readOldValue, answerWithin);
        if (kind == "client")
            return (client, mux.GetDatabase(), mux);
        var direct = new DirectStoreWriter(server.EndPoint, RespSetUp.From(null, null, null, "presence-ingest-test"), prefix, readOldValue,
            answerWithin ?? TimeSpan.FromSeconds(5), fallback: client, useDirect: () => true);
        return (direct, mux.GetDatabase(), new Owner(mux, direct));
    }

    private sealed class Owner(ConnectionMultiplexer mux, DirectStoreWriter writer) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            writer.Dispose();
            await mux.DisposeAsync();
        }
    }

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

    [Theory]
    [InlineData("client")]
    [InlineData("direct")]
    public async Task WriteAsync_StoreUp_EveryChunkIssued_AllConfirmed(string kind)
    {
        var (writer, _, owner) = await WriterAsync(kind, redis.Server, TestKeys.Prefix());
        await using var _ = owner;
        var writes = Writes(StoreWriter.DefaultChunkSize + 10);
        var outcomes = new WriteOutcome[writes.Count];

        Assert.Equal(0, await writer.WriteAsync(writes, outcomes));
        Assert.All(outcomes, o => Assert.Equal(WriteOutcome.Created, o)); // a fresh prefix: no key existed
        Assert.Equal(0, await writer.WriteAsync(writes, outcomes));
        Assert.All(outcomes, o => Assert.Equal(WriteOutcome.Landed, o)); // same receive time again: an earlier attempt of this very write
    }

    [Theory]
    [InlineData("client")]
    [InlineData("direct")]
    public async Task WriteAsync_TellsNewOnlinePeriodsAndSignOuts(string kind)
    {
        var (writer, _, owner) = await WriterAsync(kind, redis.Server, TestKeys.Prefix());
        await using var _ = owner;
        var outcomes = new WriteOutcome[2];

        await writer.WriteAsync([new PendingWrite(1, 100, RecordKind.Heartbeat, 30_000), new PendingWrite(2, 100, RecordKind.Offline, 30_000)], outcomes);
        Assert.Equal([WriteOutcome.Created, WriteOutcome.Absent], outcomes);

        await writer.WriteAsync([new PendingWrite(1, 200, RecordKind.Heartbeat, 30_000), new PendingWrite(1, 300, RecordKind.Offline, 30_000)], outcomes);
        Assert.Equal([WriteOutcome.Refreshed, WriteOutcome.Deleted], outcomes);
    }

    [Theory]
    [InlineData("client")]
    [InlineData("direct")]
    public async Task WriteAsync_Refresh_SetsOnlyAnExistingKey_WithItsTimeLeft(string kind)
    {
        var prefix = TestKeys.Prefix();
        var (writer, database, owner) = await WriterAsync(kind, redis.Server, prefix);
        await using var _ = owner;
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

    [Theory]
    [InlineData("client")]
    [InlineData("direct")]
    public async Task WriteAsync_EventsOff_PlainSet_Refreshed(string kind)
    {
        var prefix = TestKeys.Prefix();
        var (writer, database, owner) = await WriterAsync(kind, redis.Server, prefix, readOldValue: false);
        await using var _ = owner;
        var outcomes = new WriteOutcome[2];

        await writer.WriteAsync([new PendingWrite(1, 100, RecordKind.Heartbeat, 30_000), new PendingWrite(1, 200, RecordKind.Heartbeat, 30_000)], outcomes);

        Assert.Equal([WriteOutcome.Refreshed, WriteOutcome.Refreshed], outcomes); // whether the key existed is not asked
        Assert.Equal(200, (long)await database.StringGetAsync(prefix + "1"));
    }

    [Theory]
    [InlineData("client")]
    [InlineData("direct")]
    public async Task WriteAsync_CommandRefused_OnlyThatWriteFails_OldValueNotANumber_Refreshed(string kind)
    {
        var prefix = TestKeys.Prefix();
        var (writer, database, owner) = await WriterAsync(kind, redis.Server, prefix);
        await using var _ = owner;
        await database.ListLeftPushAsync(prefix + "2", "not a string"); // SET … GET on a list: WRONGTYPE
        await database.StringSetAsync(prefix + "3", new string('x', 100)); // a long value, not a time
        var outcomes = new WriteOutcome[4];

        await writer.WriteAsync(
            [new PendingWrite(1, 100, RecordKind.Heartbeat, 30_000), new PendingWrite(2, 100, RecordKind.Heartbeat, 30_000),
             new PendingWrite(3, 100, RecordKind.Heartbeat, 30_000), new PendingWrite(4, 100, RecordKind.Heartbeat, 30_000)],
            outcomes);

        Assert.Equal([WriteOutcome.Created, WriteOutcome.Failed, WriteOutcome.Refreshed, WriteOutcome.Created], outcomes);
        Assert.Contains("WRONGTYPE", writer.LastError, StringComparison.Ordinal); // the reason the flusher logs
        Assert.Equal(100, (long)await database.StringGetAsync(prefix + "3"));
    }

    [Fact]
    public async Task Client_StoreClientThrowsInvalidOperation_OnlyThatWriteFails_TheOthersOutcomesRead()
    {
        // StackExchange.Redis fails a command with InvalidOperationException ("Reading is not allowed after reader was
        // completed") after a fault tore its connection down. Let through, it lost the chunk's other outcomes: a write
        // that landed read as failed, so its user's online (the key created) was never told.
        var prefix = TestKeys.Prefix();
        var mux = await ConnectionMultiplexer.ConnectAsync(StoreConnection.Configure(redis.Server.Configuration, 2000));
        await using var _ = mux;
        var writer = new StoreWriter(FailingDatabase.Over(mux.GetDatabase(), nameof(IDatabase.StringSetAndGetAsync), failures: 1), prefix);
        var outcomes = new WriteOutcome[3];

        await writer.WriteAsync(Writes(3), outcomes);

        Assert.Equal([WriteOutcome.Failed, WriteOutcome.Created, WriteOutcome.Created], outcomes);
        Assert.Contains("Reading is not allowed", writer.LastError, StringComparison.Ordinal);
        Assert.True(await mux.GetDatabase().KeyExistsAsync(prefix + "3"));
    }

    [Fact]
    public async Task Direct_ManyChunks_RepliesSplitAcrossReceives_AllMatchedInOrder()
    {
        var prefix = TestKeys.Prefix();
        var (writer, database, owner) = await WriterAsync("direct", redis.Server, prefix);
        await using var _ = owner;
        int users = StoreWriter.DefaultChunkSize * 3 + 7;
        // Every third user has a key already holding its id as the value, so replies differ user by user.
        var batch = database.CreateBatch();
        var sets = Enumerable.Range(1, users).Where(i => i % 3 == 0).Select(i => batch.StringSetAsync(prefix + i, i, TimeSpan.FromMinutes(1))).ToList();
        batch.Execute();
        await Task.WhenAll(sets);
        var writes = Enumerable.Range(1, users).Select(i => new PendingWrite((ulong)i, i % 6 == 0 ? i : 1_000_000_000_000 + i, RecordKind.Heartbeat, 30_000)).ToList();
        var outcomes = new WriteOutcome[users];

        Assert.Equal(0, await writer.WriteAsync(writes, outcomes));

        for (int i = 1; i <= users; i++)
        {
            var expected = i % 6 == 0 ? WriteOutcome.Landed : i % 3 == 0 ? WriteOutcome.Refreshed : WriteOutcome.Created;
            Assert.True(expected == outcomes[i - 1], $"user {i}: {outcomes[i - 1]}, expected {expected}");
        }
    }

    [Fact]
    public async Task Direct_UserPasswordAndDatabase_SetUpBeforeWrites_AWrongPasswordFailsEveryWrite_Said()
    {
        using var server = RedisServer.StartWithAcl("user default off\nuser admin on >admin-pw ~* &* +@all\nuser writer on >s3cret ~* +@all\n", ("admin", "admin-pw"));
        var prefix = TestKeys.Prefix();
        using var good = new DirectStoreWriter(server.EndPoint, RespSetUp.From("writer", "s3cret", 3, "presence-ingest-test"), prefix, readOldValue: true,
            TimeSpan.FromSeconds(5), fallback: null!, useDirect: () => true);
        var outcomes = new WriteOutcome[1];
        await good.WriteAsync([new PendingWrite(1, 100, RecordKind.Heartbeat, 30_000)], outcomes);
        Assert.Equal([WriteOutcome.Created], outcomes);
        using (var mux = await ConnectionMultiplexer.ConnectAsync($"{server.Configuration},user=writer,password=s3cret,defaultDatabase=3"))
            Assert.Equal(100, (long)await mux.GetDatabase().StringGetAsync(prefix + "1")); // in database 3, written as writer

        using var bad = new DirectStoreWriter(server.EndPoint, RespSetUp.From("writer", "wrong", null, null), prefix, readOldValue: true,
            TimeSpan.FromSeconds(5), fallback: null!, useDirect: () => true);
        outcomes[0] = WriteOutcome.Refreshed;
        await bad.WriteAsync([new PendingWrite(2, 100, RecordKind.Heartbeat, 30_000)], outcomes);

        Assert.Equal([WriteOutcome.Failed], outcomes);
        Assert.Contains("refused the connection's set-up: WRONGPASS", bad.LastError, StringComparison.Ordinal);
        Assert.Equal(":0\r\n", server.Command("EXISTS", prefix + "2"));
    }

    [Fact]
    public async Task Direct_NoAnswerInTime_UnansweredFail_NextChunkOnANewConnection_Lands()
    {
        using var server = RedisServer.Start();
        var prefix = TestKeys.Prefix();
        var (writer, database, owner) = await WriterAsync("direct", server, prefix, answerWithin: TimeSpan.FromMilliseconds(300));
        await using var _ = owner;
        var direct = (DirectStoreWriter)writer;
        var outcomes = new WriteOutcome[1];
        // The 300 ms cover the connection's set-up too: a loaded machine may need a second try to connect.
        await Eventually.Until(async () =>
        {
            await writer.WriteAsync([new PendingWrite(1, 100, RecordKind.Heartbeat, 30_000)], outcomes);
            return outcomes[0] != WriteOutcome.Failed;
        }, "a first write answered (connected)");

        server.Pause();
        try
        {
            await writer.WriteAsync([new PendingWrite(1, 200, RecordKind.Heartbeat, 30_000)], outcomes);
            Assert.Equal([WriteOutcome.Failed], outcomes);
            Assert.Contains("no answer", direct.LastError, StringComparison.Ordinal);
        }
        finally
        {
            server.Resume();
        }

        // The paused store may still apply the unanswered write when it resumes: then this one is its retry.
        await Eventually.Until(async () =>
        {
            await writer.WriteAsync([new PendingWrite(1, 200, RecordKind.Heartbeat, 30_000)], outcomes);
            return outcomes[0] is WriteOutcome.Refreshed or WriteOutcome.Landed;
        }, "a write after the pause is answered");
        Assert.Equal(200, (long)await database.StringGetAsync(prefix + "1"));
    }

    [Fact]
    public async Task Direct_NoAnswerInTime_ConnectionReset_SoWhatItStillHeldIsNeverDeliveredLate()
    {
        // The path to the store goes silent (a partition) with a chunk on the way: an orderly close would
        // leave the kernel retransmitting the chunk's writes after the writer gave them up, to land when the
        // path heals, over the newer writes of the next connection. A reset drops them.
        using var server = RedisServer.Start();
        await using var relay = new HoldingRelay(server.EndPoint);
        var prefix = TestKeys.Prefix();
        using var mux = await ConnectionMultiplexer.ConnectAsync(StoreConnection.Configure(server.Configuration, 2000));
        using var writer = new DirectStoreWriter(relay.EndPoint, RespSetUp.From(null, null, null, "presence-ingest-test"), prefix, readOldValue: true,
            TimeSpan.FromSeconds(2), fallback: new StoreWriter(mux.GetDatabase(), prefix), useDirect: () => true);
        var one = new WriteOutcome[1];
        await Eventually.Until(async () =>
        {
            await writer.WriteAsync([new PendingWrite(1, 100, RecordKind.Heartbeat, 30_000)], one);
            return one[0] != WriteOutcome.Failed;
        }, "a first write answered through the relay (connected)");

        relay.Hold();
        var chunk = Enumerable.Range(1, writer.ChunkSize).Select(i => new PendingWrite((ulong)i, 200, RecordKind.Heartbeat, 30_000)).ToArray();
        var outcomes = new WriteOutcome[chunk.Length];
        await writer.WriteAsync(chunk, outcomes);
        Assert.All(outcomes, o => Assert.Equal(WriteOutcome.Failed, o));
        relay.Release();

        Assert.Equal("reset", await relay.HeldConnectionEnd.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    /// <summary>
    /// A TCP relay to the store that can go silent: <see cref="Hold"/> stops reading what connections open
    /// then send (it stays in the kernels, unacknowledged once the relay's buffer is full, as across a
    /// partition); <see cref="Release"/> reads the first held connection to its end without forwarding it
    /// and says how it ended: "eof" (closed in order, everything it held arrived) or "reset".
    /// </summary>
    private sealed class HoldingRelay : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly EndPoint _store;
        private readonly CancellationTokenSource _stop = new();
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<string> _heldEnd = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<Socket> _sockets = [];
        private readonly Task _accepting;
        private volatile bool _holding;

        public HoldingRelay(EndPoint store)
        {
            _store = store;
            _listener.Server.ReceiveBufferSize = 4096; // accepted sockets inherit it: a held connection stops being acknowledged soon
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public EndPoint EndPoint => _listener.LocalEndpoint;

        public Task<string> HeldConnectionEnd => _heldEnd.Task;

        public void Hold() => _holding = true;

        public void Release() => _released.TrySetResult();

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptSocketAsync(_stop.Token);
                    var store = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    await store.ConnectAsync(_store, _stop.Token);
                    lock (_sockets)
                        _sockets.AddRange([client, store]);
                    _ = PumpAsync(store, client, holdable: false);
                    _ = PumpAsync(client, store, holdable: true);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }

        private async Task PumpAsync(Socket from, Socket to, bool holdable)
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, _stop.Token); // data waiting, none taken
                    if (holdable && _holding)
                    {
                        await _released.Task.WaitAsync(_stop.Token);
                        _heldEnd.TrySetResult(await DrainAsync(from, buffer));
                        return;
                    }
                    int n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    if (n == 0)
                        return;
                    await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }

        private async Task<string> DrainAsync(Socket from, byte[] buffer)
        {
            try
            {
                while (await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token) > 0)
                {
                }
                return "eof";
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                return "reset";
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            lock (_sockets)
            {
                foreach (var socket in _sockets)
                    socket.Dispose();
            }
            await _accepting;
            _stop.Dispose();
        }
    }

    [Fact]
    public async Task Direct_StoreRestarted_WritesFailWhileAway_ThenLandOnANewConnection()
    {
        using var server = RedisServer.Start();
        var prefix = TestKeys.Prefix();
        var (writer, _, owner) = await WriterAsync("direct", server, prefix);
        await using var _ = owner;
        var outcomes = new WriteOutcome[2];
        await writer.WriteAsync([new PendingWrite(1, 100, RecordKind.Heartbeat, 30_000)], outcomes);

        server.Stop();
        outcomes[0] = WriteOutcome.Refreshed;
        await writer.WriteAsync([new PendingWrite(1, 200, RecordKind.Heartbeat, 30_000)], outcomes);
        Assert.Equal(WriteOutcome.Failed, outcomes[0]);
        Assert.True(writer.WholeStoreAway);

        server.Restart(); // no persistence: the key is gone
        await Eventually.Until(async () =>
        {
            await writer.WriteAsync([new PendingWrite(1, 300, RecordKind.Heartbeat, 30_000), new PendingWrite(2, 300, RecordKind.Offline, 0)], outcomes);
            return outcomes[0] != WriteOutcome.Failed;
        }, "a write after the restart is answered");
        Assert.Equal([WriteOutcome.Created, WriteOutcome.Absent], outcomes);
    }

    [Fact]
    public async Task Direct_NotUsable_ChunksGoToTheFallback()
    {
        var prefix = TestKeys.Prefix();
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var fallback = new StoreWriter(mux.GetDatabase(), prefix);
        bool direct = false;
        // An endpoint nothing listens on: a chunk sent there would fail.
        using var writer = new DirectStoreWriter(new System.Net.IPEndPoint(IPAddress.Loopback, 1), RespSetUp.From(null, null, null, null), prefix,
            readOldValue: true, TimeSpan.FromSeconds(5), fallback, useDirect: () => direct);
        var outcomes = new WriteOutcome[1];

        await writer.WriteAsync([new PendingWrite(1, 100, RecordKind.Heartbeat, 30_000)], outcomes);
        Assert.Equal([WriteOutcome.Created], outcomes);
        Assert.Equal(0, writer.DirectChunks);

        direct = true;
        await writer.WriteAsync([new PendingWrite(1, 200, RecordKind.Heartbeat, 30_000)], outcomes);
        Assert.Equal([WriteOutcome.Failed], outcomes);
        Assert.Equal(1, writer.DirectChunks);
    }
}
