using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;
using Presence.Core;
using Presence.Ingest.Internal.Intake;

namespace Presence.Ingest.Internal.Gateway;

/// <summary>
/// One gateway TCP connection, shaped like Kestrel's socket transport: a receive loop fills a
/// <see cref="Pipe"/> from the socket, and a frame loop reads frames back to back from the pipe,
/// validates each (<see cref="FrameIntake"/>, up to 4096 records), and publishes the records to
/// the same channel as UDP, stamped with the time they were read. Nothing is ever sent back.
/// </summary>
/// <remarks>
/// Backpressure runs the whole way back to the sender: while the pipeline has no room (the
/// channel is full, or --max-pending users are held because the store is slow or away) the frame
/// loop waits without advancing the pipe; once <see cref="PauseWriterThreshold"/> bytes are
/// unparsed, the receive loop's flush waits too and the socket is no longer read; the kernel's
/// receive buffer fills, the TCP window closes, and the sender's writes block.
/// </remarks>
internal sealed class GatewayConnection
{
    /// <summary>
    /// Unparsed bytes at which the socket stops being read. The largest frame is 6 + 4096 × 32
    /// bytes (128 KiB), so several whole frames always fit below it: a frame can never be stuck
    /// waiting for bytes the pause keeps out.
    /// </summary>
    public const int PauseWriterThreshold = 1024 * 1024;

    /// <summary>Reading resumes once the frame loop has brought the unparsed bytes down to here.</summary>
    public const int ResumeWriterThreshold = 512 * 1024;

    /// <summary>Room asked of the pipe per receive: a 4096-record frame takes 4 or 5 receives at most.</summary>
    private const int ReceiveSize = 16 * 1024;

    private const int Open = -1;

    private readonly GatewayListener _owner;
    private readonly ReceiveContext _context;
    private readonly Socket _socket;
    private readonly Pipe _pipe = new(new PipeOptions(
        pauseWriterThreshold: PauseWriterThreshold,
        resumeWriterThreshold: ResumeWriterThreshold,
        minimumSegmentSize: ReceiveSize,
        useSynchronizationContext: false));
    private long _lastReceive = Stopwatch.GetTimestamp();
    private long _buffered;
    private volatile bool _receiving;
    private int _closeReason = Open;

    public GatewayConnection(GatewayListener owner, Socket socket)
    {
        _owner = owner;
        _context = owner.Context;
        _socket = socket;
    }

    /// <summary>The running connection; set by <see cref="GatewayListener"/> right after it is tracked.</summary>
    public Task Completion { get; set; } = Task.CompletedTask;

    /// <summary>
    /// Runs both loops until the connection closes and returns why it closed. Cancelling
    /// <paramref name="abort"/> gives up on publishing what was already read (the graceful
    /// path is <see cref="Close"/>, which lets the frame loop finish the bytes it holds).
    /// </summary>
    public async Task<GatewayCloseReason> RunAsync(CancellationToken abort)
    {
        var receiving = ReceiveAsync();
        var ended = await ReadFramesAsync(abort).ConfigureAwait(false);
        Close(ended);
        await receiving.ConfigureAwait(false);
        _owner.AddBuffered(-Interlocked.Exchange(ref _buffered, 0));
        return (GatewayCloseReason)Volatile.Read(ref _closeReason);
    }

    /// <summary>
    /// Closes the socket (the first reason given is the one counted); a pending receive ends, and
    /// the frame loop still applies the whole frames already read. Safe from any thread.
    /// </summary>
    public void Close(GatewayCloseReason reason) => TryClose(reason);

    /// <summary>Closes the connection when its client has sent nothing for <paramref name="idleTicks"/>.</summary>
    public void CloseIfIdle(long now, long idleTicks)
    {
        // Only a connection waiting on its client is idle: one that stopped reading for
        // backpressure is waiting on us, however long that takes.
        if (_receiving && now - Volatile.Read(ref _lastReceive) > idleTicks)
            TryClose(GatewayCloseReason.Idle);
    }

    private bool TryClose(GatewayCloseReason reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, (int)reason, Open) != Open)
            return false;
        // A close, never a reply (PROTOCOL.md). Unread bytes make the kernel answer with RST.
        _socket.Dispose();
        return true;
    }

    private async Task ReceiveAsync()
    {
        var writer = _pipe.Writer;
        try
        {
            while (true)
            {
                var memory = writer.GetMemory(ReceiveSize);
                Volatile.Write(ref _lastReceive, Stopwatch.GetTimestamp());
                _receiving = true;
                int n;
                try
                {
                    n = await _socket.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                }
                finally
                {
                    _receiving = false;
                }
                if (n == 0)
                    break; // the client closed its side
                writer.Advance(n);
                Interlocked.Add(ref _buffered, n);
                _owner.AddBuffered(n);
                // Waits while PauseWriterThreshold bytes are unparsed: this is where backpressure stops reading.
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted)
                    break; // the frame loop has ended (a malformed frame, or stopping)
            }
        }
        catch (SocketException)
        {
            // Reset by the peer, or aborted because the socket was closed here (then the reason is already set).
            TryClose(GatewayCloseReason.Error);
        }
        catch (ObjectDisposedException)
        {
            // Closed here.
        }
        finally
        {
            // Completed without an error even when the socket failed: the frames already read are still good.
            await writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async Task<GatewayCloseReason> ReadFramesAsync(CancellationToken abort)
    {
        var reader = _pipe.Reader;
        var counters = new IntakeCounters();
        RecordBatch? batch = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(abort).ConfigureAwait(false);
                var buffer = result.Buffer;
                long before = buffer.Length;
                long receiveMs = _context.Clock.NowMs;
                bool malformed = false;
                while (true)
                {
                    var found = GatewayFrameReader.TryRead(ref buffer, out var frame, out int count, out var status);
                    if (found == GatewayFrameResult.NeedMore)
                        break;
                    if (found == GatewayFrameResult.Malformed)
                    {
                        counters.Frames++;
                        FrameIntake.CountMalformed(ref counters, status);
                        malformed = true;
                        break;
                    }
                    if (batch is not null && batch.Count + count > batch.Capacity)
                    {
                        counters.Publish(_context.Metrics); // before handing on, as below
                        await PublishAsync(batch, abort).ConfigureAwait(false);
                        batch = null;
                    }
                    batch ??= Rent(receiveMs);
                    Debug.Assert(batch.Count + count <= batch.Capacity, "an empty batch holds any TCP frame");
                    if (!Apply(frame, batch, ref counters))
                    {
                        malformed = true;
                        break;
                    }
                }
                // Counted before the batch is handed on (and before any wait for room): whatever its
                // records lead to downstream is never seen ahead of the counts of their frames.
                counters.Publish(_context.Metrics);
                if (batch is not null)
                {
                    if (batch.Count > 0)
                        await PublishAsync(batch, abort).ConfigureAwait(false);
                    else
                        _context.Pool.Return(batch);
                    batch = null;
                }
                Consumed(before - buffer.Length);
                reader.AdvanceTo(buffer.Start, buffer.End);

                if (malformed)
                    return GatewayCloseReason.Malformed;
                if (result.IsCompleted)
                {
                    if (buffer.Length == 0)
                        return GatewayCloseReason.Eof;
                    // Cut short by the client: not applied. When the close was ours (idle, shutdown)
                    // the client is not to blame, and the cut frame is not counted as malformed.
                    if (TryClose(GatewayCloseReason.Truncated))
                    {
                        counters.Frames++;
                        FrameIntake.CountMalformed(ref counters, GatewayFrameReader.TruncatedStatus(buffer.Length));
                        counters.Publish(_context.Metrics);
                    }
                    return GatewayCloseReason.Truncated;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            // Stopping: what was read and not yet handed over is dropped, counted.
            if (batch is not null)
            {
                _context.Metrics.ShutdownDropped.Inc(batch.Count);
                _context.Pool.Return(batch);
            }
            counters.Publish(_context.Metrics);
            return GatewayCloseReason.Shutdown;
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private RecordBatch Rent(long receiveMs)
    {
        var batch = _context.Pool.Rent();
        batch.ReceiveMs = receiveMs;
        return batch;
    }

    private bool Apply(in ReadOnlySequence<byte> frame, RecordBatch batch, ref IntakeCounters counters)
    {
        if (frame.IsSingleSegment)
            return _context.Intake.Process(frame.FirstSpan, batch, ref counters, FrameFormat.MaxTcpRecords);
        // A frame across pipe segments is copied whole: validation needs one span.
        int length = (int)frame.Length;
        byte[] copy = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            frame.CopyTo(copy);
            return _context.Intake.Process(copy.AsSpan(0, length), batch, ref counters, FrameFormat.MaxTcpRecords);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>Hands a batch to the coalescer, waiting (without reading further) while the pipeline has no room.</summary>
    private async ValueTask PublishAsync(RecordBatch batch, CancellationToken abort)
    {
        var room = _owner.Room;
        if (!room.TryReserve(batch.Count))
        {
            _context.Metrics.TcpStalls.Inc();
            await room.ReserveAsync(batch.Count, abort).ConfigureAwait(false);
        }
        batch.Reserved = batch.Count;
        try
        {
            if (!_context.Output.TryWrite(batch))
            {
                _context.Metrics.TcpStalls.Inc();
                await _context.Output.WriteAsync(batch, abort).ConfigureAwait(false);
            }
        }
        catch
        {
            room.Release(batch.Reserved);
            batch.Reserved = 0;
            throw;
        }
    }

    private void Consumed(long bytes)
    {
        if (bytes == 0)
            return;
        Interlocked.Add(ref _buffered, -bytes);
        _owner.AddBuffered(-bytes);
    }
}
