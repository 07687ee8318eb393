using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Presence.Core;
using Presence.Core.Resp;
using Presence.Ingest.Internal.Flush;
using static Presence.Core.Resp.RespFormat;

namespace Presence.Ingest.Internal.Store;

/// <summary>
/// Writes flush chunks to a single store node over a connection of its own, past the store client:
/// the same commands as <see cref="StoreWriter"/> (<c>SET … PX … GET</c>, <c>SET … PX … XX</c>,
/// <c>SET … PX</c>, <c>DEL</c>), formatted straight into one send buffer (no command object, task
/// or key array per write), sent in one go while the replies are read as they arrive and matched
/// to the chunk's writes in order. Measured before it was kept: docs/PERFORMANCE.md, "Direct writes".
/// <para>
/// A chunk not wholly answered within <c>answerWithin</c>, a refused or reset connection, or a reply
/// that cannot be read closes the connection: the writes answered so far keep their outcomes, the
/// rest are <see cref="WriteOutcome.Failed"/> and retried by the flusher (an earlier attempt that
/// landed is seen as <see cref="WriteOutcome.Landed"/>, as with the store client). The next chunk
/// opens a new connection. While <paramref name="useDirect"/> says no (the store turned out to be
/// a cluster, whose keys live on several nodes), chunks go to <paramref name="fallback"/>, the
/// store client's writer, which routes each key to its node.
/// </para>
/// </summary>
internal sealed class DirectStoreWriter(
    EndPoint endPoint,
    RespSetUp setUp,
    string prefix,
    bool readOldValue,
    TimeSpan answerWithin,
    IStoreWriter fallback,
    Func<bool> useDirect) : IStoreWriter, IDisposable
{
    private const int ReceiveBufferSize = 64 * 1024;

    /// <summary>Writes formatted and sent at a time (~90 bytes each).</summary>
    private const int SendSlice = 1024;

    private readonly byte[] _prefix = PresenceKeys.EncodePrefix(prefix);
    private readonly ArrayBufferWriter<byte> _commands = new(128 * 1024);
    private readonly byte[] _received = new byte[ReceiveBufferSize];
    private readonly WriteReplyReader _reader = new();
    private Socket? _socket;

    public int ChunkSize => StoreWriter.DefaultChunkSize;

    /// <summary>One node: a chunk whose every command failed says the whole store is away.</summary>
    public bool WholeStoreAway => useDirect() || fallback.WholeStoreAway;

    /// <summary>Why the last chunk had failed writes: the connection closed or could not open, or the store refused a write (the fallback's while it is used); null until then.</summary>
    public string? LastError => useDirect() ? _lastError : fallback.LastError;

    private string? _lastError;

    /// <summary>Chunks written over this writer's own connection (the rest went to the fallback).</summary>
    public long DirectChunks { get; private set; }

    public Task WriteChunkAsync(ArraySegment<PendingWrite> chunk, ArraySegment<WriteOutcome> outcomes)
    {
        if (chunk.Count > ChunkSize)
            throw new ArgumentException($"a chunk holds at most {ChunkSize} commands", nameof(chunk));
        return useDirect() ? WriteDirectAsync(chunk, outcomes) : fallback.WriteChunkAsync(chunk, outcomes);
    }

    private async Task WriteDirectAsync(ArraySegment<PendingWrite> chunk, ArraySegment<WriteOutcome> outcomes)
    {
        DirectChunks++;
        outcomes.AsSpan().Clear(); // Failed until answered
        using var deadline = new CancellationTokenSource(answerWithin);
        Task? receiving = null;
        try
        {
            var socket = _socket ?? await OpenAsync(deadline.Token).ConfigureAwait(false);
            receiving = ReceiveAsync(socket, chunk, outcomes, deadline.Token);
            // Sent in slices as they are formatted, so the store works on the first while the next is formatted.
            for (int start = 0; start < chunk.Count; start += SendSlice)
            {
                _commands.ResetWrittenCount();
                foreach (var write in chunk.AsSpan(start, Math.Min(SendSlice, chunk.Count - start)))
                    Format(write);
                var unsent = _commands.WrittenMemory;
                while (!unsent.IsEmpty)
                    unsent = unsent[await socket.SendAsync(unsent, SocketFlags.None, deadline.Token).ConfigureAwait(false)..];
            }
            await receiving.ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or InvalidDataException or OperationCanceledException or ObjectDisposedException)
        {
            _lastError = e switch
            {
                OperationCanceledException => $"no answer to the whole chunk within {answerWithin.TotalMilliseconds:0} ms",
                SocketException socketError => socketError.SocketErrorCode.ToString(),
                _ => e.Message,
            };
            Abort();
            if (receiving is not null)
            {
                // The receive ends with the socket; what it matched before stays.
                try
                {
                    await receiving.ConfigureAwait(false);
                }
                catch (Exception ignored) when (ignored is SocketException or IOException or InvalidDataException or OperationCanceledException or ObjectDisposedException)
                {
                }
            }
        }
    }

    /// <summary>Reads replies until every write of the chunk has its outcome; more bytes than replies is a broken stream.</summary>
    private async Task ReceiveAsync(Socket socket, ArraySegment<PendingWrite> chunk, ArraySegment<WriteOutcome> outcomes, CancellationToken cancel)
    {
        int index = 0, start = 0, end = 0;
        while (index < chunk.Count)
        {
            if (start == end)
            {
                start = end = 0;
            }
            else if (end == _received.Length)
            {
                // A reply cut at the buffer's end: move its start to the front (a reply line is at most MaxLine).
                _received.AsSpan(start, end - start).CopyTo(_received);
                end -= start;
                start = 0;
            }
            int received = await socket.ReceiveAsync(_received.AsMemory(end), SocketFlags.None, cancel).ConfigureAwait(false);
            if (received == 0)
                throw new IOException("the store closed the connection");
            end += received;
            index = Match(chunk, outcomes, index, ref start, end);
        }
        if (start != end)
            throw new InvalidDataException("more replies than writes");
    }

    /// <summary>Reads the whole replies in <c>_received[start..end]</c>, each the outcome of the next write; returns the next write's index.</summary>
    private int Match(ArraySegment<PendingWrite> chunk, ArraySegment<WriteOutcome> outcomes, int index, ref int start, int end)
    {
        while (index < chunk.Count)
        {
            var reply = _reader.Read(_received.AsSpan(start, end - start), out int used, out long value);
            start += used;
            if (reply == WriteReply.NeedMore)
                break;
            outcomes[index] = Outcome(reply, value, chunk[index]);
            if (reply == WriteReply.Error)
                _lastError = $"the store refused a write: {_reader.ErrorText}";
            index++;
        }
        return index;
    }

    private static WriteOutcome Outcome(WriteReply reply, long value, in PendingWrite write) => reply switch
    {
        WriteReply.Error => WriteOutcome.Failed,
        _ when write.Kind == RecordKind.Offline => reply == WriteReply.Integer ? (value > 0 ? WriteOutcome.Deleted : WriteOutcome.Absent) : WriteOutcome.Failed,
        WriteReply.Status => WriteOutcome.Refreshed, // SET … XX that wrote, or a plain SET (events off)
        WriteReply.Nil => write.Refresh ? WriteOutcome.Missing : WriteOutcome.Created,
        WriteReply.Number => value == write.ReceiveMs ? WriteOutcome.Landed : WriteOutcome.Refreshed,
        WriteReply.Text => WriteOutcome.Refreshed,
        _ => WriteOutcome.Failed,
    };

    private void Format(in PendingWrite write)
    {
        if (write.Kind == RecordKind.Offline)
        {
            WriteRaw(_commands, "*2\r\n$3\r\nDEL\r\n"u8);
            WriteKey(_commands, _prefix, write.UserId);
            return;
        }
        bool getOld = !write.Refresh && readOldValue;
        WriteRaw(_commands, write.Refresh || getOld ? "*6\r\n$3\r\nSET\r\n"u8 : "*5\r\n$3\r\nSET\r\n"u8);
        WriteKey(_commands, _prefix, write.UserId);
        WriteKey(_commands, default, (ulong)write.ReceiveMs);
        WriteRaw(_commands, "$2\r\nPX\r\n"u8);
        WriteKey(_commands, default, (ulong)write.TtlLeftMs);
        if (write.Refresh)
            WriteRaw(_commands, "$2\r\nXX\r\n"u8);
        else if (getOld)
            WriteRaw(_commands, "$3\r\nGET\r\n"u8);
    }

    /// <summary>Connects and sends the set-up (AUTH, SELECT, CLIENT SETNAME); a refused AUTH or SELECT fails the attempt.</summary>
    private async Task<Socket> OpenAsync(CancellationToken cancel)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancel).ConfigureAwait(false);
            await setUp.RunAsync(socket, _received, (ReadOnlySpan<byte> data, out int used, out string? error) =>
            {
                var reply = _reader.Read(data, out used, out _);
                error = reply == WriteReply.Error ? _reader.ErrorText : null;
                return reply != WriteReply.NeedMore;
            }, cancel).ConfigureAwait(false);
            _socket = socket;
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Gives up the connection with a reset (SO_LINGER 0), not an orderly close: what the kernel still
    /// holds of it, sent but not acknowledged or not sent yet, is dropped with it. An orderly close keeps
    /// retransmitting that, and once a partition heals the store applies those writes late, over the
    /// newer ones sent on the next connection (the 30-minute fault runs 15 and 16: keys written 23-27 s after their
    /// receive, holding a heartbeat from before the partition over the latest one; docs/FAULTS.md).
    /// </summary>
    private void Abort()
    {
        if (_socket is { } socket)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);
            }
            catch (SocketException)
            {
                // Already reset or shut: nothing is left to send on it.
            }
            socket.Dispose();
        }
        _socket = null;
        _reader.Reset();
    }

    /// <summary>Closes the connection in order (shutting down: every chunk sent was answered or given up by <see cref="Abort"/>).</summary>
    public void Dispose()
    {
        _socket?.Dispose();
        _socket = null;
        _reader.Reset();
    }
}
