using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Presence.Core;
using Presence.Ingest.Internal.Intake;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Ingest;

/// <summary>Signed frames over real UDP, forgeries, replays, garbage floods; the ingester never answers.</summary>
[Collection(RedisCollection.Name)]
public sealed class IngestHostileInputTests(RedisFixture redis) : IAsyncLifetime
{
    private static readonly byte[] s_master0 = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static readonly byte[] s_master7 = Convert.FromHexString("0707070707070707070707070707070707070707070707070707070707070707");
    private readonly string _keyFile = Path.Combine(Path.GetTempPath(), $"presence-keys-{Guid.NewGuid():N}");
    private ConnectionMultiplexer _mux = null!;

    public async Task InitializeAsync()
    {
        WriteKeys((0, s_master0), (7, s_master7));
        _mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
    }

    public async Task DisposeAsync()
    {
        File.Delete(_keyFile);
        await _mux.DisposeAsync();
    }

    private void WriteKeys(params (byte Id, byte[] Key)[] keys)
    {
        File.WriteAllText(_keyFile, string.Join("\n", keys.Select(k => $"{k.Id}:{Convert.ToHexString(k.Key)}")) + "\n");
        File.SetUnixFileMode(_keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static byte[] SignedFrame(ulong user, ushort seq, byte keyId)
    {
        var key = Signing.DeriveDeviceKey(keyId == 0 ? s_master0 : s_master7, user);
        var frame = new byte[FrameFormat.FrameSize(1, signed: true)];
        FrameWriter.WriteSigned(frame, [new HeartbeatRecord(user, (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds(), seq, RecordKind.Heartbeat, keyId)], key);
        return frame;
    }

    [Fact]
    public async Task SignedFrames_GenuineStored_ForgedAndReplayedCountedNotStored()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o =>
        {
            o.Keys = _keyFile;
            o.RequireSigned = true;
        });
        var db = _mux.GetDatabase();

        ingest.Send(SignedFrame(1, 10, 0));
        ingest.Send(SignedFrame(2, 10, 7));
        ingest.Send(SignedFrame(1, 10, 0));           // replay
        var forged = SignedFrame(3, 10, 0);
        forged[^1] ^= 1;
        ingest.Send(forged);
        ingest.Heartbeat([4]);                         // unsigned, refused

        await Eventually.Equal(5, () => ingest.Metrics.FramesReceived.Value, "frames received");
        await Eventually.Until(() => db.KeyExists(IngestTestHost.Key(prefix, 1)) && db.KeyExists(IngestTestHost.Key(prefix, 2)), "genuine users stored");
        await Eventually.Equal(2, () => ingest.Metrics.RecordsAccepted.Value, "records accepted");
        await Eventually.Equal(1, () => ingest.Metrics.Rejected(RejectReason.Replayed).Value, "records rejected as replayed");
        await Eventually.Equal(1, () => ingest.Metrics.Rejected(RejectReason.AuthFailed).Value, "records rejected as auth_failed");
        await Eventually.Equal(1, () => ingest.Metrics.Rejected(RejectReason.UnsignedRejected).Value, "records rejected as unsigned");
        Assert.False(await db.KeyExistsAsync(IngestTestHost.Key(prefix, 3)));
        Assert.False(await db.KeyExistsAsync(IngestTestHost.Key(prefix, 4)));
    }

    [Fact]
    public async Task ReloadKeys_RotationToNewIdOnly_OldIdRefusedNewAccepted()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.Keys = _keyFile);
        ingest.Send(SignedFrame(1, 1, 0));
        await Eventually.Equal(1, () => ingest.Metrics.RecordsAccepted.Value, "records accepted under key 0 before the rotation");

        WriteKeys((7, s_master7));
        Assert.Null(ingest.Host.ReloadKeys());
        ingest.Send(SignedFrame(1, 2, 0));
        ingest.Send(SignedFrame(1, 3, 7));

        await Eventually.Equal(3, () => ingest.Metrics.FramesReceived.Value, "frames received");
        await Eventually.Equal(2, () => ingest.Metrics.RecordsAccepted.Value, "records accepted");
        await Eventually.Equal(1, () => ingest.Metrics.Rejected(RejectReason.AuthFailed).Value, "records rejected as auth_failed");

        File.SetUnixFileMode(_keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        Assert.Contains("chmod 600", ingest.Host.ReloadKeys()); // refused; the keys in force stay
    }

    [Fact]
    public async Task MixedValidMalformedForged_IngestSendsNothingBack()
    {
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix(), o => o.Keys = _keyFile);
        var senders = Enumerable.Range(0, 16).Select(_ =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return s;
        }).ToArray();
        using var marker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            var rnd = new Random(3);
            int sent = 0;
            for (int i = 0; i < 50; i++)
            {
                foreach (var s in senders)
                {
                    byte[] datagram = (i % 3) switch
                    {
                        0 => SignedFrame((ulong)(i + 1), (ushort)i, 0),
                        1 => rnd.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), rnd.Next(0, 100)),
                        _ => SignedFrame((ulong)(i + 1), (ushort)i, 7).Select((b, j) => j == 30 ? (byte)~b : b).ToArray(),
                    };
                    s.SendTo(datagram, ingest.Host.UdpEndPoint);
                    sent++;
                }
                // A few receive batches in flight at most: the count below is exact whatever buffer the kernel granted.
                if (i % 4 == 3)
                    await Eventually.Equal(sent, () => ingest.Metrics.FramesReceived.Value, "frames received so far");
            }
            await Eventually.Equal(sent, () => ingest.Metrics.FramesReceived.Value, "frames received");

            // Loopback delivers a datagram (or the ICMP error a send draws) within the send call, so
            // anything the ingest sent back while handling these is queued at the senders already,
            // ahead of the marker sent now: the first thing each reads must be the marker.
            foreach (var s in senders)
                marker.SendTo("marker"u8, SocketFlags.None, s.LocalEndPoint!);
            var buffer = new byte[2048];
            foreach (var s in senders)
            {
                s.ReceiveTimeout = 10_000;
                int n = s.Receive(buffer); // an error queued by the ingest's doing throws here
                Assert.True(buffer.AsSpan(0, n).SequenceEqual("marker"u8), $"a sender received {n} bytes from the ingest before the marker");
                Assert.Equal(0, s.Available);
            }
        }
        finally
        {
            foreach (var s in senders)
                s.Dispose();
        }
    }

    [Fact]
    public async Task GarbageFlood_LiveUsersStayOnline_MalformedCountsEveryGarbageFrame_MemoryFlat()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.TtlSeconds = 5);
        var live = Enumerable.Range(1, 100).Select(i => (ulong)i).ToArray();
        var db = _mux.GetDatabase();
        ingest.Heartbeat(live, perFrame: 1);
        await Eventually.Until(() => live.All(u => db.KeyExists(IngestTestHost.Key(prefix, u))), "live users online");
        GC.Collect();
        long heapBefore = GC.GetGCMemoryInfo().HeapSizeBytes;

        using var flooder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var target = ingest.Host.UdpEndPoint;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        long garbageSent = 0;
        var flood = Task.Run(() =>
        {
            var rnd = new Random(11);
            var buffer = new byte[1472];
            while (!stop.IsCancellationRequested)
            {
                rnd.NextBytes(buffer);
                flooder.SendTo(buffer.AsSpan(0, rnd.Next(0, buffer.Length + 1)), SocketFlags.None, target);
                garbageSent++;
            }
        });
        var clock = Stopwatch.StartNew();
        while (!flood.IsCompleted)
        {
            ingest.Heartbeat(live, perFrame: 1); // the live users keep heartbeating through the flood
            await Task.Delay(500);
        }
        await flood;

        await Eventually.Equal(0, () => ingest.Host.PendingUsers, "pending users after the flood");
        foreach (var u in live)
            Assert.True(await db.KeyExistsAsync(IngestTestHost.Key(prefix, u)), $"user {u} went offline during the flood");
        // Every frame received is either a good one (one record each, accepted) or garbage, counted
        // malformed. The receive loop may still be draining the socket when the flood stops, and it
        // publishes its counts once per batch: wait for the last batch's.
        await Eventually.Equal(0, () => ingest.Metrics.FramesReceived.Value - ingest.Metrics.RecordsAccepted.Value - ingest.Metrics.FramesMalformed.Value,
            "frames received - records accepted - frames malformed");
        await Eventually.Satisfy(() => ingest.Metrics.FramesMalformed.Value, malformed => malformed > 10_000, $"more than 10,000 of the {garbageSent} garbage frames counted malformed");
        GC.Collect();
        long heapAfter = GC.GetGCMemoryInfo().HeapSizeBytes;
        Assert.True(heapAfter - heapBefore < 32 << 20, $"managed heap grew by {(heapAfter - heapBefore) >> 20} MB during the flood");
    }
}
