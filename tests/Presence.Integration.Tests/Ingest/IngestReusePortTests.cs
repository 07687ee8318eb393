using System.Net;
using System.Net.Sockets;
using Presence.Core;
using Presence.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Presence.Integration.Tests.Ingest;

/// <summary>Several ingesters behind one UDP port (--reuseport), writing the same keys.</summary>
[Collection(RedisCollection.Name)]
public sealed class IngestReusePortTests(RedisFixture redis, ITestOutputHelper output)
{
    /// <summary>The kernel spreads datagrams over SO_REUSEPORT sockets by a hash of the source address and port.</summary>
    private const int SourcePorts = 64;

    /// <summary>How late one ingester's write may land behind the other's on a loaded 2-core machine (see the assertion).</summary>
    private const int SchedulingAllowanceMs = 1000;

    private static Socket[] Senders()
    {
        var senders = new Socket[SourcePorts];
        for (int i = 0; i < senders.Length; i++)
        {
            senders[i] = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            senders[i].Bind(new IPEndPoint(IPAddress.Loopback, 0));
        }
        return senders;
    }

    private static int Send(Socket sender, IPEndPoint target, ReadOnlySpan<ulong> users)
    {
        Span<byte> frame = stackalloc byte[FrameFormat.MaxUdpFrameSize];
        Span<HeartbeatRecord> records = stackalloc HeartbeatRecord[users.Length];
        for (int i = 0; i < users.Length; i++)
            records[i] = new HeartbeatRecord(users[i], 0, 1, RecordKind.Heartbeat, 0);
        int n = FrameWriter.WriteUnsigned(frame, records);
        return sender.SendTo(frame[..n], SocketFlags.None, target);
    }

    [Fact]
    public async Task TwoIngesters_OnePort_ManySourcePorts_EveryUserOnline_StoredTimeRegressesAtMostAWindow()
    {
        var prefix = TestKeys.Prefix();
        int port = FreePort.Udp();
        const int flushMs = 50;
        void Shared(Presence.Ingest.IngestOptions o)
        {
            o.Udp = $"127.0.0.1:{port}";
            o.ReusePort = true;
            o.FlushMs = flushMs;
        }
        await using var first = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, Shared);
        await using var second = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, Shared);
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var senders = Senders();
        var target = new IPEndPoint(IPAddress.Loopback, port);
        try
        {
            // 6400 users, each sent from the source port its id picks, 50 to a frame.
            var users = IngestTestHost.Users(1, 6400);
            int frames = 0;
            foreach (var group in users.GroupBy(u => (int)(u % SourcePorts)))
                foreach (var chunk in group.Chunk(50))
                {
                    Send(senders[group.Key], target, chunk);
                    frames++;
                }

            // 128 frames of ~800 bytes, about half to each socket: well within the smallest receive
            // buffer the kernel grants (rmem_max, ~400 KiB by default) even when nothing is read meanwhile.
            await Eventually.Equal(frames, () => first.Metrics.FramesReceived.Value + second.Metrics.FramesReceived.Value, "frames received by one ingester or the other");
            await Eventually.Until(() => IngestTestHost.AllExist(db, prefix, users), "every user online, whichever ingester got its frames");
            output.WriteLine($"frames: first {first.Metrics.FramesReceived.Value}, second {second.Metrics.FramesReceived.Value}");
            Assert.True(first.Metrics.FramesReceived.Value > 0 && second.Metrics.FramesReceived.Value > 0, "the kernel spread the source ports over both");

            // One user heartbeating from every source port in turn, so both ingesters write its key
            // within the same windows; its stored time is sampled meanwhile.
            const ulong hot = 999_999;
            var hotKey = IngestTestHost.Key(prefix, hot);
            double firstBefore = first.Metrics.RecordsAccepted.Value, secondBefore = second.Metrics.RecordsAccepted.Value;
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            var sending = Task.Run(async () =>
            {
                for (int k = 0; !stop.IsCancellationRequested; k++)
                {
                    Send(senders[k % SourcePorts], target, [hot]);
                    await Task.Delay(2); // pacing the sender, not waiting for a condition
                }
            });
            long highest = 0, worst = 0, samples = 0, rises = 0;
            while (!stop.IsCancellationRequested)
            {
                var value = await db.StringGetAsync(hotKey);
                if (value.IsNull)
                    continue;
                long ms = (long)value;
                samples++;
                if (ms > highest)
                {
                    rises++;
                    highest = ms;
                }
                worst = Math.Max(worst, highest - ms);
            }
            await sending;

            output.WriteLine($"{samples} samples, {rises} rises; worst regression {worst} ms (window {flushMs} ms)");
            await Eventually.Until(() => first.Metrics.RecordsAccepted.Value > firstBefore && second.Metrics.RecordsAccepted.Value > secondBefore,
                "both ingesters counting records of the hot user");
            Assert.True(rises > 10, $"the stored time moved on ({rises} rises)");
            // Within one ingester the time never goes back. Across two, one's write can land after
            // the other's newer one, older by its window plus the delays of that one write: its
            // receive thread, its flusher and the store each waiting for a core. Those delays are
            // a few ms on an idle machine and have no bound on a loaded one, so they are allowed up
            // to a second here: what this catches is an ingester writing a stale time (one from
            // windows before its last, seconds old in this 3 s run), not a slow machine.
            Assert.InRange(worst, 0, flushMs + SchedulingAllowanceMs);
        }
        finally
        {
            foreach (var s in senders)
                s.Dispose();
        }
    }

    /// <summary>
    /// SIGTERM's stop under a steady stream: the stopping ingester takes its socket out of delivery
    /// before its last reads, so every datagram the kernel gave it is read, and every later one goes
    /// to the port's other socket. Before, a datagram queued between the last read and the close
    /// was lost (the seventh violation burst of a 30-minute fault run, docs/FAULTS.md).
    /// </summary>
    [Theory]
    [InlineData("recvmmsg")]
    [InlineData("socket")]
    public async Task Stop_UnderSteadySending_EveryDatagramReadByTheStoppingIngesterOrThePortsOtherSocket(string receiver)
    {
        var prefix = TestKeys.Prefix();
        int port = FreePort.Udp();
        var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o =>
        {
            o.Udp = $"127.0.0.1:{port}";
            o.ReusePort = true;
            o.Receiver = receiver;
        });
        // The port's other member, standing in for the ingester that stays: counts what it is given.
        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        other.SetRawSocketOption(Presence.Core.Interop.LinuxSockets.SolSocket, Presence.Core.Interop.LinuxSockets.SoReusePort, BitConverter.GetBytes(1));
        other.ReceiveBufferSize = 8 * 1024 * 1024;
        other.ReceiveTimeout = 200;
        other.Bind(new IPEndPoint(IPAddress.Loopback, port));
        long otherReceived = 0;
        using var stopReading = new CancellationTokenSource();
        var reading = Task.Run(() =>
        {
            var buffer = new byte[2048];
            while (!stopReading.IsCancellationRequested)
            {
                try
                {
                    other.Receive(buffer);
                    Interlocked.Increment(ref otherReceived);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
                {
                }
            }
        });
        var senders = Senders();
        var target = new IPEndPoint(IPAddress.Loopback, port);
        long kernelDropsBefore = UdpStats.ReceiveBufferErrors();
        long sent = 0;
        using var stopSending = new CancellationTokenSource(TimeSpan.FromSeconds(20)); // bounded whatever happens
        var sending = Task.Run(async () =>
        {
            // About 16 datagrams a millisecond, without gaps: the stop lands while datagrams arrive.
            for (int k = 0; !stopSending.IsCancellationRequested; k++)
            {
                for (int j = 0; j < 16; j++)
                {
                    Send(senders[(k * 16 + j) % SourcePorts], target, [(ulong)(1 + (k * 16 + j) % 5000)]);
                    Interlocked.Increment(ref sent);
                }
                await Task.Delay(1); // pacing the sender, not waiting for a condition
            }
        });
        try
        {
            await Eventually.Until(() => ingest.Metrics.FramesReceived.Value > 1000 && Interlocked.Read(ref otherReceived) > 1000,
                "both sockets of the port receiving");
            long unwritten = await ingest.Host.StopAsync();
            Assert.Equal(0, unwritten);
            double stoppedReceived = ingest.Metrics.FramesReceived.Value;
            long otherAtStop = Interlocked.Read(ref otherReceived);
            await Eventually.Until(() => Interlocked.Read(ref otherReceived) > otherAtStop + 1000, "the other socket taking the whole port");
            await stopSending.CancelAsync();
            await sending;
            long total = Interlocked.Read(ref sent);
            await Eventually.Until(() => stoppedReceived + Interlocked.Read(ref otherReceived) >= total - (UdpStats.ReceiveBufferErrors() - kernelDropsBefore),
                "every datagram read by one socket or the other", TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
            long kernelDrops = UdpStats.ReceiveBufferErrors() - kernelDropsBefore;
            double lost = total - stoppedReceived - Interlocked.Read(ref otherReceived);
            output.WriteLine($"sent {total}, read by the stopped ingester {stoppedReceived}, by the other socket {Interlocked.Read(ref otherReceived)}, lost {lost}, kernel receive-buffer drops {kernelDrops}");
            Assert.True(lost <= kernelDrops, $"{lost} datagrams lost at the stop, {kernelDrops} counted by the kernel");
        }
        finally
        {
            await stopSending.CancelAsync();
            await sending;
            await stopReading.CancelAsync();
            await reading;
            foreach (var s in senders)
                s.Dispose();
            await ingest.DisposeAsync();
        }
    }
}
