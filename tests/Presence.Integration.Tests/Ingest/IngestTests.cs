using Presence.Core;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Ingest;

/// <summary>The ingest suite against one redis-server (the assembly's shared one).</summary>
[Collection(RedisCollection.Name)]
public sealed class IngestTests(RedisFixture redis) : IngestSuite(redis.Server.Configuration);

/// <summary>
/// The same suite, unchanged, against a 3-master Redis Cluster: --redis names the three nodes and
/// every key lands on the master owning its slot.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class IngestClusterSuiteTests(RedisClusterFixture cluster)
    : IngestSuite(cluster.Cluster.Configuration), IClassFixture<RedisClusterFixture>;

/// <summary>The ingest's behaviour over real UDP, against whatever store <paramref name="store"/> names.</summary>
public abstract class IngestSuite(string store) : IAsyncLifetime
{
    private ConnectionMultiplexer _mux = null!;

    private IDatabase Db => _mux.GetDatabase();

    public async Task InitializeAsync() => _mux = await ConnectionMultiplexer.ConnectAsync(store);

    public async Task DisposeAsync() => await _mux.DisposeAsync();

    private async Task<bool> AllExist(string prefix, IEnumerable<ulong> users)
    {
        foreach (var u in users)
            if (!await Db.KeyExistsAsync(IngestTestHost.Key(prefix, u)))
                return false;
        return true;
    }

    [Fact]
    public async Task Heartbeats_OverUdp_StoredWithReceiveTimeAndTtlFromIt()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(store, prefix, o => o.TtlSeconds = 30);
        var users = Enumerable.Range(1, 200).Select(i => (ulong)i).ToArray();
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        ingest.Heartbeat(users, perFrame: 10);

        await Eventually.Until(() => AllExist(prefix, users), "all 200 users stored");
        // Every write was executed by now: the expiry Redis holds lies between the receive time
        // plus ttl (PX carries the time left when the command was issued, so never earlier) and
        // now plus ttl (the write ran before this moment, and PX is at most the ttl).
        long after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var u in users)
        {
            var key = IngestTestHost.Key(prefix, u);
            long value = (long)await Db.StringGetAsync(key);
            Assert.InRange(value, before - 5, after + 5);
            long expireAt = (long)await Db.ExecuteAsync("PEXPIRETIME", key);
            Assert.InRange(expireAt, value + 30_000 - 2, after + 30_000 + 2);
        }
        await Eventually.Equal(200, () => ingest.Metrics.RecordsAccepted.Value, "records accepted");
        await Eventually.Equal(20, () => ingest.Metrics.FramesReceived.Value, "frames received");
        // Counted once the flusher has seen the batch answered, which may be after the keys are visible.
        await Eventually.Equal(200, () => ingest.Metrics.WritesOk.Value, "store writes ok");
    }

    [Fact]
    public async Task Duplicates_WithinOneWindow_OneWrite()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(store, prefix, o => o.FlushMs = 250);
        uint now = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        // One frame, so all 50 records are received together, inside one window.
        var records = Enumerable.Range(0, 50).Select(i => new HeartbeatRecord(77, now, (ushort)i, RecordKind.Heartbeat, 0)).ToArray();

        ingest.Send(records);

        await Eventually.Until(() => ingest.Metrics.WritesOk.Value >= 1, "the write");
        Assert.True(await Db.KeyExistsAsync(IngestTestHost.Key(prefix, 77)));
        await Eventually.Equal(50, () => ingest.Metrics.RecordsAccepted.Value, "records accepted");
        await Eventually.Equal(49, () => ingest.Metrics.RecordsCoalesced.Value, "records coalesced");
        // Nothing else of user 77 may be written later: another user heard now is written in the
        // same batch as anything of 77's still pending, or after it, so once that user is
        // confirmed the count is final.
        ingest.Heartbeat([78]);
        await Eventually.Until(() => Db.KeyExists(IngestTestHost.Key(prefix, 78)), "the later user stored");
        await Eventually.Equal(2, () => ingest.Metrics.WritesOk.Value, "store writes ok: one for 77's 50 records, one for 78");
    }

    [Fact]
    public async Task Offline_AfterHeartbeat_DeletesKey()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(store, prefix);
        var key = IngestTestHost.Key(prefix, 5);
        ingest.Heartbeat([5]);
        await Eventually.Until(() => Db.KeyExists(key), "heartbeat stored");

        ingest.Heartbeat([5], kind: RecordKind.Offline);

        await Eventually.Until(() => !Db.KeyExists(key), "key deleted by the offline record");
    }

    [Fact]
    public async Task OfflineThenHeartbeat_InOneFrame_HeartbeatWins_AndViceVersa()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(store, prefix);
        ingest.Send(new HeartbeatRecord(1, 1, 1, RecordKind.Offline, 0), new HeartbeatRecord(1, 1, 2, RecordKind.Heartbeat, 0));
        ingest.Send(new HeartbeatRecord(2, 1, 1, RecordKind.Heartbeat, 0), new HeartbeatRecord(2, 1, 2, RecordKind.Offline, 0));

        await Eventually.Until(() => ingest.Metrics.WritesOk.Value >= 2, "both users written");

        Assert.True(await Db.KeyExistsAsync(IngestTestHost.Key(prefix, 1)));
        Assert.False(await Db.KeyExistsAsync(IngestTestHost.Key(prefix, 2)));
    }

    [Fact]
    public async Task MalformedFrames_InBurstWithGoodOnes_CountedAndGoodOnesLand()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(store, prefix);
        var good = new byte[22];
        var rnd = new Random(7);
        byte[][] bad =
        [
            [],
            Convert.FromHexString("504801000000"),                              // count 0
            Convert.FromHexString("505801000001000000000000002a69289fb000070000"), // bad magic
            Convert.FromHexString("504801000001000000000000000069289fb000070000"), // user 0
            Convert.FromHexString("504801000001000000000000002a69289fb000070200"), // kind 2
            Convert.FromHexString("504801000002000000000000002a69289fb000070000"), // count mismatch
            new byte[1600],                                                        // longer than any UDP frame
        ];
        int badSent = 0;
        for (ulong u = 1; u <= 100; u++)
        {
            FrameWriter.WriteUnsigned(good, [new HeartbeatRecord(u, 0, 0, RecordKind.Heartbeat, 0)]);
            ingest.Send(good);
            var b = bad[rnd.Next(bad.Length)];
            ingest.Send(b);
            badSent++;
        }

        await Eventually.Until(() => AllExist(prefix, Enumerable.Range(1, 100).Select(i => (ulong)i)), "every good user stored");
        await Eventually.Equal(200, () => ingest.Metrics.FramesReceived.Value, "frames received");
        await Eventually.Equal(badSent, () => ingest.Metrics.FramesMalformed.Value, "frames malformed");
        await Eventually.Equal(100, () => ingest.Metrics.RecordsAccepted.Value, "records accepted");
    }

    [Fact]
    public async Task RequireSigned_UnsignedFrames_RejectedAndCounted()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(store, prefix, o => o.RequireSigned = true);

        ingest.Heartbeat([1, 2, 3], perFrame: 3);

        await Eventually.Equal(1, () => ingest.Metrics.FramesReceived.Value, "frames received");
        await Eventually.Equal(3, () => ingest.Metrics.Rejected(Presence.Ingest.Internal.Intake.RejectReason.UnsignedRejected).Value, "records rejected unsigned");
        await Eventually.Equal(0, () => ingest.Metrics.RecordsAccepted.Value, "records accepted");
        Assert.False(await Db.KeyExistsAsync(IngestTestHost.Key(prefix, 1)));
    }

    [Fact]
    public async Task SocketReceiver_Heartbeats_StoredLikeRecvMmsg()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(store, prefix, o => o.Receiver = "socket");
        var users = Enumerable.Range(1, 50).Select(i => (ulong)i).ToArray();

        ingest.Heartbeat(users);
        ingest.Send(new byte[1600]);

        await Eventually.Until(() => AllExist(prefix, users), "all users stored");
        await Eventually.Equal(1, () => ingest.Metrics.FramesMalformed.Value, "the oversized datagram counted malformed");
    }

    [Fact]
    public async Task Http_MetricsHealthReady_ServeOperationsNames()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(store, prefix);
        ingest.Heartbeat([1]);
        await Eventually.Equal(1, () => ingest.Metrics.WritesOk.Value, "store writes ok");
        using var http = new HttpClient { BaseAddress = ingest.Host.HttpAddress };

        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode);
        var text = await http.GetStringAsync("/metrics");

        foreach (var name in new[]
        {
            "presence_frames_received_total", "presence_frames_malformed_total", "presence_records_accepted_total",
            "presence_records_rejected_total", "presence_records_coalesced_total", "presence_store_writes_total",
            "presence_pending_users", "presence_udp_kernel_drops_total", "presence_flush_seconds",
        })
        {
            Assert.Contains($"# HELP {name} ", text);
            Assert.Contains($"# TYPE {name} ", text);
        }
        Assert.Contains("presence_store_writes_total{result=\"ok\"} 1", text);
        // promtool's rule: counters end in _total.
        foreach (var line in text.Split('\n').Where(l => l.StartsWith("# TYPE ") && l.EndsWith(" counter")))
            Assert.EndsWith("_total counter", line);
    }

    [Fact]
    public async Task KernelDrops_SocketFoundInProcNetUdp()
    {
        await using var ingest = await IngestTestHost.StartAsync(store, TestKeys.Prefix());
        using var http = new HttpClient { BaseAddress = ingest.Host.HttpAddress };

        var text = await http.GetStringAsync("/metrics");

        // The counter is read from /proc on scrape; 0 drops on an idle socket, but it must be found.
        Assert.Matches(@"(?m)^presence_udp_kernel_drops_total 0$", text);
        var stats = new Presence.Ingest.Internal.Udp.KernelUdpStats((int)GetSocketFd(ingest.Host));
        Assert.True(stats.Available);
        Assert.Equal(0, stats.ReadDrops());
    }

    private static nint GetSocketFd(Presence.Ingest.IngestHost host) => host.SocketHandleForTests;

    [Fact]
    public async Task ReceiveBuffer_AskedSize_GaugeIsWhatTheKernelGranted()
    {
        const int asked = (1 << 20) + 4096;
        await using var ingest = await IngestTestHost.StartAsync(store, TestKeys.Prefix(), o => o.ReceiveBufferBytes = asked);

        // Linux doubles the size asked (for its bookkeeping); SO_RCVBUF caps it at net.core.rmem_max,
        // SO_RCVBUFFORCE (CAP_NET_ADMIN) does not.
        long rmemMax = long.Parse(File.ReadAllText("/proc/sys/net/core/rmem_max").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        long expected = 2 * (HasNetAdmin() ? asked : Math.Min(asked, rmemMax));
        using var view = new System.Net.Sockets.Socket(new System.Net.Sockets.SafeSocketHandle(GetSocketFd(ingest.Host), ownsHandle: false));
        Assert.Equal(expected, view.ReceiveBufferSize);
        await Eventually.Equal((double)expected, () => ingest.Metrics.ReceiveBufferBytes.Value, "presence_udp_receive_buffer_bytes");
    }

    /// <summary>Whether this process holds CAP_NET_ADMIN (bit 12 of CapEff), which SO_RCVBUFFORCE needs.</summary>
    private static bool HasNetAdmin()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        ulong caps = ulong.Parse(line["CapEff:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        return (caps & (1UL << 12)) != 0;
    }

    [Fact]
    public async Task DisposeAsync_Twice_SecondIsHarmless()
    {
        var ingest = await IngestTestHost.StartAsync(store, TestKeys.Prefix());
        await ingest.DisposeAsync();
        await ingest.Host.DisposeAsync(); // native receive buffers must not be freed twice
        Assert.Equal(0, ingest.Host.PendingUsers);
    }
}
