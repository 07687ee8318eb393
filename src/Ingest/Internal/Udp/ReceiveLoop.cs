using System.Net.Sockets;
using System.Threading.Channels;
using Presence.Core;
using Presence.Core.Interop;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Intake;

namespace Presence.Ingest.Internal.Udp;

/// <summary>
/// One receive loop on a dedicated thread: reads datagrams in batches into fixed buffers,
/// validates them (<see cref="FrameIntake"/>), stamps the batch with the receive time and hands
/// it to the coalescer. Nothing is allocated or logged per packet; the service never sends.
/// </summary>
internal abstract class ReceiveLoop : IDisposable
{
    /// <summary>Datagrams read per batch.</summary>
    public const int DatagramsPerBatch = 64;

    /// <summary>Room per datagram: larger than any valid frame, so an oversized one is seen as such.</summary>
    protected const int SlotSize = 2048;

    /// <summary>Records one batch can hold: every datagram a full UDP frame.</summary>
    public const int RecordsPerBatch = DatagramsPerBatch * FrameFormat.MaxUdpUnsignedRecords;

    private readonly FrameIntake _intake;
    private readonly ChannelWriter<RecordBatch> _output;
    private readonly RecordBatchPool _pool;
    private readonly IngestMetrics _metrics;
    private readonly IngestClock _clock;
    private readonly ILogger _logger;
    private readonly Thread _thread;
    private readonly int _queueWaitLimitMs;
    private readonly int _pauseMs;
    private volatile bool _stopping;

    protected ReceiveLoop(Socket socket, ReceiveContext context, string name, int queueWaitLimitMs, int pauseMs)
    {
        _queueWaitLimitMs = queueWaitLimitMs;
        _pauseMs = pauseMs;
        Socket = socket;
        (_intake, _output, _pool, _metrics, _clock, _logger) = context;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
    }

    protected Socket Socket { get; }

    /// <param name="pauseMs">
    /// After a batch that was not full, wait this long before the next receive (0: never), so that
    /// datagrams arriving one by one are taken in batches (<see cref="DefaultPauseMs"/>).
    /// </param>
    public static ReceiveLoop Create(bool recvmmsg, Socket socket, ReceiveContext context, int index, int queueWaitLimitMs = QueueWaitLimitMs, int pauseMs = DefaultPauseMs) =>
        recvmmsg
            ? new RecvMmsgLoop(socket, context, $"udp-recvmmsg-{index}", queueWaitLimitMs, pauseMs)
            : new SocketReceiveLoop(socket, context, $"udp-receive-{index}", queueWaitLimitMs, pauseMs);

    /// <summary>
    /// The default pause after a batch that was not full (--receive-pause-ms). Senders that pace
    /// their datagrams one at a time (a device fleet does: each device sends alone) would otherwise
    /// wake this thread, and hand a batch to the coalescer, once per datagram: at the seed workload
    /// with such a sender that cost 2.7× the ingester's CPU per heartbeat (PERFORMANCE.md, "Ingest CPU
    /// at the seed workload"). Meanwhile datagrams wait in the socket's receive buffer (--rcvbuf),
    /// and their receive time is read up to this much later: nothing against a --flush-ms window.
    /// A full batch means more is queued: then the loop never pauses.
    /// </summary>
    public const int DefaultPauseMs = 1;

    public void Start() => _thread.Start();

    /// <summary>
    /// Most time a stopping loop spends taking what is still queued on the socket (it normally
    /// empties in microseconds; the bound only matters under a flood that outruns it).
    /// </summary>
    internal const int DrainLimitMs = 1000;

    /// <summary>
    /// Asks the loop to stop and waits for it: it wakes within the socket's receive timeout, then
    /// takes every datagram already queued without waiting for more, so that closing the socket
    /// right after loses only what arrives in between (with --reuseport the kernel sends the rest
    /// to the ingesters still bound).
    /// </summary>
    public void Stop()
    {
        _stopping = true;
        if (_thread.IsAlive)
            _thread.Join();
    }

    /// <summary>
    /// Most time a batch waits for room in the channel to the coalescer before it is dropped (counted
    /// <c>queue_full</c>). A coalescer that stalls for less (a collection, a starved thread pool: the
    /// fault-schedule run saw ~100 ms stalls drop a few hundred records with no fault going on) costs
    /// nothing: meanwhile datagrams queue in the socket's receive buffer, and only once that is full
    /// does the kernel drop (counted, <c>presence_udp_kernel_drops_total</c>), before any work is spent on
    /// them. Under a sustained flood the loop goes at the coalescer's pace and the kernel sheds the rest.
    /// </summary>
    internal const int QueueWaitLimitMs = 1000;

    /// <summary>True once <see cref="Stop"/> was called: a receive must then not wait for datagrams.</summary>
    protected bool Stopping => _stopping;

    /// <summary>Waits (this loop's own thread) until the channel takes <paramref name="batch"/>, until <paramref name="untilMs"/> (Environment.TickCount64); false: not taken.</summary>
    private bool WaitForRoom(RecordBatch batch, long untilMs)
    {
        var room = _output.WaitToWriteAsync().AsTask();
        while (true)
        {
            long left = untilMs - Environment.TickCount64;
            if (left <= 0)
                return false;
            try
            {
                if (!room.Wait((int)Math.Min(left, 50)))
                    continue;
            }
            catch (AggregateException)
            {
                return false;
            }
            if (!room.Result)
                return false; // completed: nothing more is taken
            if (_output.TryWrite(batch))
                return true;
            room = _output.WaitToWriteAsync().AsTask(); // another writer took the room
        }
    }

    /// <summary>
    /// Receives the next batch of datagrams, blocking until at least one arrives or the receive
    /// timeout passes. Returns how many (0 on timeout) or -errno.
    /// </summary>
    protected abstract int ReceiveBatch();

    /// <summary>Datagram <paramref name="index"/> of the last batch; <paramref name="truncated"/> when it did not fit its slot.</summary>
    protected abstract ReadOnlySpan<byte> Datagram(int index, out bool truncated);

    private void Run()
    {
        var counters = new IntakeCounters();
        var backoff = new Backoff(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(500));
        long drainUntil = 0;
        while (true)
        {
            if (_stopping)
            {
                if (drainUntil == 0)
                    drainUntil = Environment.TickCount64 + DrainLimitMs;
                else if (Environment.TickCount64 > drainUntil)
                    break;
            }
            int n = ReceiveBatch();
            if (n <= 0)
            {
                if (_stopping)
                    break; // nothing left queued (or the socket is gone)
                if (n == 0 || n == -Errno.EAGAIN || n == -Errno.EINTR)
                    continue;
                if (n == -Errno.EBADF || n == -Errno.ENOTSOCK)
                    break; // the socket was closed: shutting down
                // ENOMEM, ENOBUFS and the unexpected: back off, never spin, never die.
                var delay = backoff.Fail();
                if (backoff.Failures == 1 || backoff.Failures % 100 == 0)
                    IngestLog.ReceiveError(_logger, -n, backoff.Failures, delay.TotalMilliseconds);
                Thread.Sleep(delay);
                continue;
            }
            backoff.Succeed();

            var batch = _pool.Rent();
            batch.ReceiveMs = _clock.NowMs;
            for (int i = 0; i < n; i++)
            {
                var datagram = Datagram(i, out bool truncated);
                if (truncated || datagram.Length > FrameFormat.MaxUdpFrameSize)
                {
                    counters.Frames++;
                    FrameIntake.CountMalformed(ref counters, FrameStatus.TooLong);
                    continue;
                }
                _intake.Process(datagram, batch, ref counters, FrameFormat.MaxUdpUnsignedRecords);
            }
            // Counted before the batch is handed on: whatever its records lead to downstream (a key
            // in the store, a confirmed write) is never seen ahead of the counts of the frames
            // that carried them.
            counters.Publish(_metrics);
            if (batch.Count == 0)
                _pool.Return(batch);
            else if (!_output.TryWrite(batch) && !WaitForRoom(batch, _stopping && drainUntil > 0 ? drainUntil : Environment.TickCount64 + _queueWaitLimitMs))
            {
                _metrics.QueueFullDropped.Inc(batch.Count);
                _pool.Return(batch);
            }
            if (n < DatagramsPerBatch && _pauseMs > 0 && !_stopping)
                Thread.Sleep(_pauseMs); // what arrives meanwhile is taken in one batch (DefaultPauseMs)
        }
    }

    public virtual void Dispose()
    {
    }
}
