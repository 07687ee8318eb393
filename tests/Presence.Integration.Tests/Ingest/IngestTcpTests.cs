using System.Net.Sockets;
using Presence.Core;
using Presence.Ingest;
using Presence.Ingest.Internal.Gateway;
using Presence.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Presence.Integration.Tests.Ingest;

/// <summary>The gateway TCP listener (--tcp), with real sockets on 127.0.0.1.</summary>
[Collection(RedisCollection.Name)]
public sealed class IngestTcpTests(RedisFixture redis, ITestOutputHelper output) : IAsyncLifetime
{
    private ConnectionMultiplexer _mux = null!;

    private IDatabase Db => _mux.GetDatabase();

    public async Task InitializeAsync() => _mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);

    public async Task DisposeAsync() => await _mux.DisposeAsync();

    private static Task<IngestTestHost> StartAsync(string store, string prefix, Action<IngestOptions>? configure = null) =>
        IngestTestHost.StartAsync(store, prefix, o =>
        {
            o.Tcp = "127.0.0.1:0";
            configure?.Invoke(o);
        });

    private static async Task<bool> NoneExist(IDatabase db, string prefix, IEnumerable<ulong> users)
    {
        foreach (var u in users)
            if (await db.KeyExistsAsync(IngestTestHost.Key(prefix, u)))
                return false;
        return true;
    }

    /// <summary>True once the server has closed <paramref name="socket"/> (FIN, or RST when it left bytes unread).</summary>
    private static async Task<bool> ClosedByServer(Socket socket, TimeSpan within)
    {
        var buffer = new byte[64];
        using var timeout = new CancellationTokenSource(within);
        try
        {
            return await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Frames_BackToBack_SplitInSmallWritesAndManyInOneWrite_AllLand()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await StartAsync(redis.Server.Configuration, prefix);
        using var client = await ingest.ConnectTcpAsync();

        // A 500-record frame dribbled out 7 bytes per write (and so spread over many receives).
        var split = IngestTestHost.Frame(IngestTestHost.Users(1, 500));
        for (int i = 0; i < split.Length; i += 7)
            await client.SendAsync(split.AsMemory(i, Math.Min(7, split.Length - i)), SocketFlags.None);
        // Ten frames in one write, then a 4096-record frame (the TCP maximum).
        var ten = Enumerable.Range(0, 10).SelectMany(k => IngestTestHost.Frame(IngestTestHost.Users(1000 + k * 50, 50))).ToArray();
        await client.SendAsync(ten, SocketFlags.None);
        await client.SendAsync(IngestTestHost.Frame(IngestTestHost.Users(10_000, 4096)), SocketFlags.None);

        var all = IngestTestHost.Users(1, 500).Concat(IngestTestHost.Users(1000, 500)).Concat(IngestTestHost.Users(10_000, 4096)).ToArray();
        await Eventually.Until(() => IngestTestHost.AllExist(Db, prefix, all), "every user of every frame stored");
        await Eventually.Equal(12, () => ingest.Metrics.FramesReceived.Value, "frames received");
        await Eventually.Equal(all.Length, () => ingest.Metrics.RecordsAccepted.Value, "records accepted");
        await Eventually.Equal(0, () => ingest.Metrics.FramesMalformed.Value, "frames malformed");
        Assert.Equal(1, ingest.Host.Gateway!.OpenConnections); // still open: frames keep coming on it
        await Eventually.Equal(1, () => ingest.Metrics.TcpAccepted.Value, "gateway connections accepted");
        long value = (long)await Db.StringGetAsync(IngestTestHost.Key(prefix, 10_000));
        Assert.InRange(value, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 15_000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    [Theory]
    [InlineData("bad record")]     // kind 2 in the second record: found only once the whole frame is in
    [InlineData("count > 4096")]   // found from the header alone
    public async Task MalformedFrame_ClosesOnlyItsConnection_OthersKeepWorking(string how)
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await StartAsync(redis.Server.Configuration, prefix);
        using var bad = await ingest.ConnectTcpAsync();
        using var good = await ingest.ConnectTcpAsync();

        await bad.SendAsync(IngestTestHost.Frame(IngestTestHost.Users(1, 10)), SocketFlags.None);
        byte[] malformed;
        if (how == "bad record")
        {
            malformed = IngestTestHost.Frame(IngestTestHost.Users(100, 3));
            malformed[FrameFormat.HeaderSize + HeartbeatRecord.Size + 14] = 2;
        }
        else
        {
            malformed = Convert.FromHexString("504801001001"); // 4097 records announced
        }
        await bad.SendAsync(malformed, SocketFlags.None);

        Assert.True(await ClosedByServer(bad, TimeSpan.FromSeconds(10)), "the connection that sent a malformed frame is closed");
        await good.SendAsync(IngestTestHost.Frame(IngestTestHost.Users(200, 10)), SocketFlags.None);
        await Eventually.Until(() => IngestTestHost.AllExist(Db, prefix, IngestTestHost.Users(1, 10).Concat(IngestTestHost.Users(200, 10))),
            "the good frame before it, and the other connection's frame, stored");
        Assert.True(await NoneExist(Db, prefix, IngestTestHost.Users(100, 3)), "no record of the malformed frame applied");
        await Eventually.Equal(1, () => ingest.Metrics.FramesMalformed.Value, "frames malformed");
        await Eventually.Equal(1, () => ingest.Metrics.TcpClosed(GatewayCloseReason.Malformed).Value, "connections closed as malformed");
        await Eventually.Equal(1, () => ingest.Host.Gateway!.OpenConnections, "open connections: only the good one");
    }

    [Fact]
    public async Task HalfSentFrame_ThenClientCloses_NotApplied_ListenerUnharmed()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await StartAsync(redis.Server.Configuration, prefix);
        using (var client = await ingest.ConnectTcpAsync())
        {
            await client.SendAsync(IngestTestHost.Frame(IngestTestHost.Users(1, 5)), SocketFlags.None);
            var frame = IngestTestHost.Frame(IngestTestHost.Users(50, 100));
            await client.SendAsync(frame.AsMemory(0, frame.Length / 2), SocketFlags.None);
            client.Shutdown(SocketShutdown.Send);
        }

        await Eventually.Equal(1, () => ingest.Metrics.TcpClosed(GatewayCloseReason.Truncated).Value, "connections closed as truncated");
        await Eventually.Until(() => IngestTestHost.AllExist(Db, prefix, IngestTestHost.Users(1, 5)), "the whole frame before the cut stored");
        using var next = await ingest.ConnectTcpAsync();
        await next.SendAsync(IngestTestHost.Frame(IngestTestHost.Users(500, 5)), SocketFlags.None);
        await Eventually.Until(() => IngestTestHost.AllExist(Db, prefix, IngestTestHost.Users(500, 5)), "a new connection still works");
        Assert.True(await NoneExist(Db, prefix, IngestTestHost.Users(50, 100)), "no record of the cut frame applied");
        await Eventually.Equal(1, () => ingest.Metrics.FramesMalformed.Value, "frames malformed (the cut one)");
        await Eventually.Equal(0L, () => ingest.Host.Gateway!.BufferedBytes, "bytes buffered once the cut frame is released");
    }

    [Fact]
    public async Task StorePaused_LargeBurst_SenderBlocksAndMemoryStaysBounded_AllLandAfterResume()
    {
        using var server = RedisServer.Start();
        var prefix = TestKeys.Prefix();
        const int maxPending = 100_000;
        const int frames = 1000;
        const int perFrame = FrameFormat.MaxTcpRecords;
        // Each block of 4096 users is sent in 10 frames in a row, as a gateway resending its devices
        // would: 65 MB of frames for 409,600 users, so the held set fills while the store is paused,
        // yet the burst coalesces to few writes once it is back (the test stays quick).
        const int repeats = 10;
        const int distinctUsers = frames / repeats * perFrame;
        await using var ingest = await StartAsync(server.Configuration, prefix, o =>
        {
            o.MaxPending = maxPending;
            o.QueueBatches = 4;
            o.StoreTimeoutMs = 500;
            o.TtlSeconds = 120; // the burst must not expire while it waits
        });
        var listener = ingest.Host.Gateway!;
        using var client = await ingest.ConnectTcpAsync();
        await client.SendAsync(IngestTestHost.Frame([1]), SocketFlags.None);
        await Eventually.Equal(1, () => ingest.Metrics.WritesOk.Value, "store writes ok before the pause");

        server.Pause();
        long sent = 0;
        long total = (long)frames * FrameFormat.FrameSize(perFrame, false);
        var sender = Task.Run(() =>
        {
            var frame = new byte[FrameFormat.FrameSize(perFrame, false)];
            var records = new HeartbeatRecord[perFrame];
            for (int f = 0; f < frames; f++)
            {
                for (int r = 0; r < perFrame; r++)
                    records[r] = new HeartbeatRecord(1 + (ulong)(f / repeats * perFrame + r), 0, 1, RecordKind.Heartbeat, 0);
                FrameWriter.WriteUnsigned(frame, records);
                client.Send(frame); // blocks while the ingester is not reading
                Interlocked.Add(ref sent, frame.Length);
            }
        });

        long peakBuffered = 0;
        await Eventually.Until(() =>
        {
            peakBuffered = Math.Max(peakBuffered, listener.BufferedBytes);
            return ingest.Metrics.TcpStalls.Value > 0 && ingest.Host.PendingUsers >= maxPending - perFrame;
        }, "the connection stalled with --max-pending users held");
        // Stalled: once the kernel's buffers are full too, the sender cannot get rid of its burst.
        long lastSent = -1;
        int unchanged = 0;
        await Eventually.Until(() =>
        {
            peakBuffered = Math.Max(peakBuffered, listener.BufferedBytes);
            Assert.InRange(ingest.Host.PendingUsers, 0, maxPending);
            long now = Interlocked.Read(ref sent);
            unchanged = now == lastSent ? unchanged + 1 : 0;
            lastSent = now;
            return unchanged >= 25 && ingest.Metrics.WritesFailed.Value > 0; // no frame out for 25 polls (0.5 s or more)
        }, "the sender blocked while the store is paused");
        long stalledAt = lastSent;
        Assert.False(sender.IsCompleted);
        output.WriteLine($"sender blocked after {stalledAt:N0} of {total:N0} bytes; peak unparsed {peakBuffered:N0} bytes; held {ingest.Host.PendingUsers:N0}");
        // What the kernel can hold on loopback (tcp_rmem max 32 MiB + tcp_wmem max 4 MiB here) is well under the burst.
        Assert.True(stalledAt < total * 3 / 4, $"sent {stalledAt} of {total} bytes before blocking");
        Assert.InRange(peakBuffered, 0, GatewayConnection.PauseWriterThreshold + 256 * 1024);

        server.Resume();
        var resumed = System.Diagnostics.Stopwatch.StartNew();

        await sender.WaitAsync(TimeSpan.FromSeconds(120));
        using var mux = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var db = mux.GetDatabase();
        var store = mux.GetServer(mux.GetEndPoints()[0]);
        // The users' keys only: the store also holds the events log's keys.
        await Eventually.Until(async () => await store.KeysAsync(pattern: prefix + "*", pageSize: 10_000).CountAsync() == distinctUsers,
            $"all {distinctUsers} users stored", TimeSpan.FromSeconds(120));
        await Eventually.Equal(1 + (long)frames * perFrame, () => ingest.Metrics.RecordsAccepted.Value, "records accepted");
        output.WriteLine($"all landed {resumed.Elapsed.TotalSeconds:0.0} s after resume; {ingest.Metrics.TcpStalls.Value} stalls; {ingest.Metrics.WritesOk.Value:N0} writes");
        await Eventually.Equal(0, () => ingest.Metrics.PendingFullDropped.Value, "users dropped for --max-pending");
        await Eventually.Equal(0, () => ingest.Metrics.QueueFullDropped.Value, "records dropped with the queue full");
        await Eventually.Equal(0, () => ingest.Metrics.UsersExpired.Value, "users expired");
    }

    [Fact]
    public async Task ConnectionLimit_OneOver_AcceptedAndClosedAtOnce_OthersWork()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await StartAsync(redis.Server.Configuration, prefix, o => o.TcpMaxConnections = 2);
        using var a = await ingest.ConnectTcpAsync();
        using var b = await ingest.ConnectTcpAsync();
        await Eventually.Equal(2, () => ingest.Host.Gateway!.OpenConnections, "open connections");

        using var c = await ingest.ConnectTcpAsync();

        Assert.True(await ClosedByServer(c, TimeSpan.FromSeconds(10)), "the third connection is closed");
        await Eventually.Equal(1, () => ingest.Metrics.TcpClosed(GatewayCloseReason.OverLimit).Value, "connections closed as over_limit");
        await a.SendAsync(IngestTestHost.Frame(IngestTestHost.Users(1, 3)), SocketFlags.None);
        await b.SendAsync(IngestTestHost.Frame(IngestTestHost.Users(4, 3)), SocketFlags.None);
        await Eventually.Until(() => IngestTestHost.AllExist(Db, prefix, IngestTestHost.Users(1, 6)), "both admitted connections work");

        a.Dispose(); // room for one more
        await Eventually.Equal(1, () => ingest.Host.Gateway!.OpenConnections, "open connections after one closed");
        using var d = await ingest.ConnectTcpAsync();
        await d.SendAsync(IngestTestHost.Frame(IngestTestHost.Users(7, 1)), SocketFlags.None);
        await Eventually.Until(() => IngestTestHost.AllExist(Db, prefix, IngestTestHost.Users(7, 1)), "a connection under the limit again works");
        await Eventually.Equal(1, () => ingest.Metrics.TcpClosed(GatewayCloseReason.Eof).Value, "connections closed as eof");
    }

    [Fact]
    public async Task IdleConnection_ClosedAfterIdleSeconds_BusyOneKept()
    {
        const int idleSeconds = 2;
        var prefix = TestKeys.Prefix();
        await using var ingest = await StartAsync(redis.Server.Configuration, prefix, o => o.TcpIdleSeconds = idleSeconds);
        using var idle = await ingest.ConnectTcpAsync();
        using var busy = await ingest.ConnectTcpAsync();
        await idle.SendAsync(IngestTestHost.Frame(IngestTestHost.Users(1, 2)), SocketFlags.None);
        var started = System.Diagnostics.Stopwatch.StartNew();

        // The busy connection sends every 100 ms: it would have to wait 20 times that for a core to
        // look idle. The idle one is closed between idle and idle + one sweep (at most a second) after
        // its last frame, unless the sweep itself waits for a core: only the lower bound is exact.
        var closed = ClosedByServer(idle, TimeSpan.FromSeconds(idleSeconds + 10));
        ulong user = 100;
        while (!closed.IsCompleted)
        {
            await busy.SendAsync(IngestTestHost.Frame([user++]), SocketFlags.None);
            await Task.WhenAny(closed, Task.Delay(100)); // pacing the busy sender, not waiting for a condition
        }

        Assert.True(await closed, "the idle connection is closed");
        Assert.True(started.Elapsed.TotalSeconds >= idleSeconds - 0.1, $"closed after {started.Elapsed.TotalSeconds:0.00} s, before {idleSeconds} s idle");
        await Eventually.Equal(1, () => ingest.Metrics.TcpClosed(GatewayCloseReason.Idle).Value, "connections closed as idle");
        await Eventually.Equal(1, () => ingest.Host.Gateway!.OpenConnections, "open connections: the busy one");
        await busy.SendAsync(IngestTestHost.Frame([user]), SocketFlags.None);
        await Eventually.Until(() => IngestTestHost.AllExist(Db, prefix, IngestTestHost.Users(1, 2).Append(user)), "frames of both stored");
        await Eventually.Equal(1, () => ingest.Metrics.TcpClosed(GatewayCloseReason.Idle).Value, "connections closed as idle: the busy one never");
    }

    [Fact]
    public async Task Stop_WithConnectionsOpen_FramesReadAreWritten_ConnectionsClosed()
    {
        var prefix = TestKeys.Prefix();
        var ingest = await StartAsync(redis.Server.Configuration, prefix, o => o.FlushMs = 250);
        try
        {
            using var client = await ingest.ConnectTcpAsync();
            await client.SendAsync(IngestTestHost.Frame(IngestTestHost.Users(1, 300)), SocketFlags.None);
            await Eventually.Equal(300, () => ingest.Metrics.RecordsAccepted.Value, "records accepted");

            long unwritten = await ingest.Host.StopAsync();

            Assert.Equal(0, unwritten);
            Assert.True(await IngestTestHost.AllExist(Db, prefix, IngestTestHost.Users(1, 300)));
            Assert.True(await ClosedByServer(client, TimeSpan.FromSeconds(5)), "the connection is closed");
            await Eventually.Equal(1, () => ingest.Metrics.TcpClosed(GatewayCloseReason.Shutdown).Value, "connections closed as shutdown");
        }
        finally
        {
            await ingest.DisposeAsync();
        }
    }
}
