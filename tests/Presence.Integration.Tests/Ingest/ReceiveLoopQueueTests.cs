using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Presence.Ingest;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Intake;
using Presence.Ingest.Internal.Udp;
using Presence.Testing;

namespace Presence.Integration.Tests.Ingest;

/// <summary>
/// The receive loop against a coalescer that stalls (real UDP socket on 127.0.0.1, a channel of one
/// batch nobody reads for a while): it waits for room instead of dropping what it read, so a stall
/// shorter than its wait limit (<see cref="ReceiveLoop.QueueWaitLimitMs"/> in service) loses no record.
/// </summary>
public sealed class ReceiveLoopQueueTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CoalescerStallsForLessThanTheWaitLimit_EveryRecordArrives_NoneDropped(bool recvmmsg)
    {
        var options = new IngestOptions();
        Assert.Null(options.Validate());
        var clock = new IngestClock();
        var metrics = new IngestMetrics();
        var channel = Channel.CreateBounded<RecordBatch>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.Wait });
        var pool = new RecordBatchPool(ReceiveLoop.RecordsPerBatch);
        using var socket = UdpSocketFactory.Create(new IPEndPoint(IPAddress.Loopback, 0), 4 * 1024 * 1024, reusePort: false, out _);
        var context = new ReceiveContext(new FrameIntake(options, clock), channel.Writer, pool, metrics, clock, NullLogger.Instance);
        // A wait limit far above the stall below, so a starved test machine cannot turn a wait into a drop:
        // what is tested is that the loop waits rather than drops, not the limit's value.
        using var loop = ReceiveLoop.Create(recvmmsg, socket, context, 0, queueWaitLimitMs: 60_000);
        loop.Start();
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        const int users = 200;
        try
        {
            // One datagram at a time, each read as its own batch: far more batches than the channel holds.
            for (ulong user = 1; user <= users; user++)
            {
                sender.SendTo(IngestTestHost.Frame([user]), socket.LocalEndPoint!);
                if (user % 20 == 0)
                    await Task.Delay(5); // pacing the sender, not waiting for a condition
            }
            // The coalescer stalls (reads nothing) for 300 ms, then reads steadily.
            await Task.Delay(300);
            var seen = new HashSet<ulong>();
            using var reading = new CancellationTokenSource();
            var reader = Task.Run(async () =>
            {
                try
                {
                    await foreach (var batch in channel.Reader.ReadAllAsync(reading.Token))
                    {
                        lock (seen)
                        {
                            for (int i = 0; i < batch.Count; i++)
                                seen.Add(batch.Users[i]);
                        }
                        pool.Return(batch);
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
            await Eventually.Until(() =>
            {
                lock (seen)
                    return seen.Count == users;
            }, $"all {users} users read through the channel");
            await reading.CancelAsync();
            await reader;
            Assert.Equal(0, metrics.QueueFullDropped.Value);
        }
        finally
        {
            loop.Stop();
        }
    }
}
