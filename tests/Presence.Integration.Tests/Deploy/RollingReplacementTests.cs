using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Presence.Core;
using Presence.Ingest;
using Presence.Integration.Tests.Ingest;
using Presence.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Presence.Integration.Tests.Deploy;

/// <summary>
/// The upgrade of docs/DEPLOY.md as a drill: devices heartbeat one ingester on a UDP port; a new
/// ingester binds the same port with --reuseport; the old one is stopped the way SIGTERM stops it
/// (<see cref="IngestHost.StopAsync"/>, what Program runs on the signal); the devices go on.
/// No user may be lost, and every user must end up written by the new ingester.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RollingReplacementTests(RedisFixture redis, ITestOutputHelper output)
{
    private const int Users = 2000;

    /// <summary>Source ports: the kernel spreads datagrams over a port's sockets by a hash of the sender's address and port.</summary>
    private const int Senders = 32;

    /// <summary>Every user heartbeats once a round.</summary>
    private static readonly TimeSpan s_round = TimeSpan.FromMilliseconds(500);

    [Theory]
    [InlineData("recvmmsg")]
    [InlineData("socket")]
    public async Task NewIngestReplacesOld_OnePortWithReusePort_NoHeartbeatLost_EveryUserWrittenByTheNewOne(string receiver)
    {
        var prefix = TestKeys.Prefix();
        int port = FreePort.Udp();
        void Shared(IngestOptions o)
        {
            o.Udp = $"127.0.0.1:{port}";
            o.ReusePort = true;
            o.FlushMs = 50;
            o.TtlSeconds = 30;
            o.Receiver = receiver;
        }
        var old = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, Shared);
        IngestTestHost? replacement = null;
        var senders = Enumerable.Range(0, Senders).Select(_ =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return s;
        }).ToArray();
        var target = new IPEndPoint(IPAddress.Loopback, port);
        var users = IngestTestHost.Users(1, Users);
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        long sent = 0, rounds = 0;
        long kernelDropsBefore = UdpStats.ReceiveBufferErrors();
        using var stopSending = new CancellationTokenSource();
        var sending = Task.Run(async () =>
        {
            var frame = new byte[FrameFormat.MaxUdpFrameSize];
            var pace = Stopwatch.StartNew();
            while (!stopSending.IsCancellationRequested)
            {
                uint now = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                foreach (var user in users)
                {
                    int n = FrameWriter.WriteUnsigned(frame, [new HeartbeatRecord(user, now, (ushort)rounds, RecordKind.Heartbeat, 0)]);
                    senders[user % Senders].SendTo(frame.AsSpan(0, n), SocketFlags.None, target);
                    Interlocked.Increment(ref sent);
                }
                Interlocked.Increment(ref rounds);
                // Paced, not waited on: the next round starts s_round after this one did.
                var next = s_round * Interlocked.Read(ref rounds) - pace.Elapsed;
                if (next > TimeSpan.Zero)
                    await Task.Delay(next);
            }
        });
        Task Rounds(int count)
        {
            long until = Interlocked.Read(ref rounds) + count;
            return Eventually.Until(() => sending.IsCompleted || Interlocked.Read(ref rounds) >= until, $"{count} rounds of heartbeats sent", TimeSpan.FromSeconds(60));
        }
        try
        {
            await Rounds(2);
            await Eventually.Until(() => old.Metrics.WritesOk.Value >= Users, "the old ingester writing every user");

            // The new ingester joins the port; both receive until the old one goes.
            replacement = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, Shared);
            await Eventually.Until(() => replacement.Metrics.FramesReceived.Value > 0, "the kernel handing the new ingester its share");
            await Rounds(2);
            double oldBeforeStop = old.Metrics.FramesReceived.Value;

            // SIGTERM to the old one: it stops receiving, closes its socket, writes what it holds.
            long unwritten = await old.Host.StopAsync();
            long stoppedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            double oldReceived = old.Metrics.FramesReceived.Value;
            Assert.Equal(0, unwritten);
            Assert.True(oldBeforeStop > 0, "the old ingester had its share while both ran");
            // Against a busy store the drain takes up to --shutdown-timeout-ms before the process
            // exits; here it is quick, so a round stands in for it: what reaches the port meanwhile
            // must go to the new ingester, not queue on a socket nobody reads.
            await Rounds(1);
            await old.DisposeAsync();

            // The devices go on (their next heartbeat is all a real device would send).
            await Rounds(3);
            await stopSending.CancelAsync();
            await sending;

            // Every user online, and written by the new ingester after the old one had gone.
            await Eventually.Until(async () => (await StoredTimes(db, prefix, users)).All(t => t >= stoppedMs),
                "every user's key written by the new ingester after the old one stopped", TimeSpan.FromSeconds(30));
            var times = await StoredTimes(db, prefix, users);
            int lost = times.Count(t => t < 0);
            Assert.Equal(0, lost);

            // Heartbeats: what the two received against what was sent. The stopping ingester takes
            // its socket out of delivery first and reads all it was given before closing it, so none
            // goes missing there; only a full receive buffer (the kernel's count, here of the whole
            // machine: an upper bound) may lose one.
            long total = Interlocked.Read(ref sent);
            await WaitQuietly(() => oldReceived + replacement.Metrics.FramesReceived.Value >= total);
            double received = oldReceived + replacement.Metrics.FramesReceived.Value;
            long kernelDrops = UdpStats.ReceiveBufferErrors() - kernelDropsBefore;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"heartbeats sent {total}, received {received} (old {oldReceived}, new {replacement.Metrics.FramesReceived.Value}), lost {total - received}, kernel receive-buffer drops {kernelDrops}; users lost {lost} of {Users}"));
            Assert.True(total - received <= kernelDrops,
                $"{total - received} heartbeats lost in the replacement, {kernelDrops} counted by the kernel (sent {total}, old received {oldReceived}, new {replacement.Metrics.FramesReceived.Value})");
        }
        finally
        {
            await stopSending.CancelAsync();
            await sending;
            foreach (var s in senders)
                s.Dispose();
            await old.DisposeAsync();
            if (replacement is not null)
                await replacement.DisposeAsync();
        }
    }

    /// <summary>Each user's stored receive time in Unix ms, or -1 where it has no key.</summary>
    private static async Task<long[]> StoredTimes(IDatabase db, string prefix, ulong[] users)
    {
        var values = await db.StringGetAsync(users.Select(u => IngestTestHost.Key(prefix, u)).ToArray());
        return values.Select(v => v.HasValue ? (long)v : -1).ToArray();
    }

    /// <summary>Waits a little for a count to settle; a count that never gets there is reported by the assertion after.</summary>
    private static async Task WaitQuietly(Func<bool> condition)
    {
        try
        {
            await Eventually.Until(condition, "the receive counters settling", TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }
    }
}
