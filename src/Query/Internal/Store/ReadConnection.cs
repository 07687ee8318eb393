using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace Presence.Query.Internal.Store;

/// <summary>
/// One TCP connection of a <see cref="ReadPipeline"/> to the store: it connects and sets itself up
/// (<see cref="ConnectionSetUp"/>), formats each read's command into its send buffer and sends what
/// callers queued in batches, reads the replies as they arrive and completes the reads in the order
/// they were sent (<see cref="AwaitingReplies"/>, <see cref="ReplyMatcher"/>). When it breaks (a send
/// or receive fails, the store closes it, a reply cannot be read or matched) it fails every read
/// still waiting on it and tells the pipeline, which opens a new one: a connection is never reused.
/// </summary>
internal sealed class ReadConnection : IDisposable
{
    /// <summary>Reads waiting for replies beyond which new ones fail at once: a stalled store must not pile up memory.</summary>
    internal const int MaxWaiting = 65_536;

    /// <summary>Unsent command bytes beyond which new reads fail at once (MGETs of --max-batch keys add up).</summary>
    internal const int MaxUnsentBytes = 32 << 20;

    private const int ReceiveBufferSize = 64 * 1024;

    // The send is queued behind the work this thread is doing (preferLocal), not made at once: the
    // requests that arrived together queue their commands meanwhile and go out in one send. Each
    // send to the store costs a wake-up of the store and a loopback delivery; one per request was
    // measured at 40% more service CPU per single-id request than batching them (bench/query/run.sh).
    private static readonly Action<ReadConnection> s_flush = static connection => _ = connection.FlushAsync();

    private readonly ReadPipeline _pipeline;
    private readonly Socket _socket = new(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    private readonly ReplyReader _reader = new();
    private readonly byte[] _buffer = new byte[ReceiveBufferSize];
    private readonly Lock _sync = new();
    private readonly AwaitingReplies _awaiting = new(); // guarded by _sync, with the send buffers and flags below
    private ArrayBufferWriter<byte> _outgoing = new(4096); // commands not yet handed to a send
    private ArrayBufferWriter<byte> _sending = new(4096); // the buffer a send is under way from (swapped with _outgoing)
    private bool _flushing;
    private bool _broken;

    public ReadConnection(ReadPipeline pipeline)
    {
        _pipeline = pipeline;
    }

    /// <summary>Connects to <paramref name="endPoint"/> and sets the connection up; reads may be sent once this completes.</summary>
    public async Task OpenAsync(EndPoint endPoint, ConnectionSetUp setUp, CancellationToken cancel)
    {
        await _socket.ConnectAsync(endPoint, cancel).ConfigureAwait(false);
        await SetUpAsync(setUp, cancel).ConfigureAwait(false);
    }

    /// <summary>AUTH, SELECT and CLIENT SETNAME as the configuration asks; a refused AUTH or SELECT fails the connection.</summary>
    private Task SetUpAsync(ConnectionSetUp setUp, CancellationToken cancel) =>
        setUp.RunAsync(_socket, _buffer, (ReadOnlySpan<byte> data, out int used, out string? error) =>
        {
            var reply = _reader.Read(data, out used);
            error = reply == ReplyEvent.Error ? _reader.Text : null;
            return reply != ReplyEvent.NeedMore;
        }, cancel);

    /// <summary>
    /// Formats the command of <paramref name="request"/> (PING, GET/MGET of <c>prefix + id</c>, or the presence script's EVALSHA)
    /// into the send buffer and queues the request for its reply: <see cref="StoreStatus.Ok"/>.
    /// Otherwise nothing is queued: <see cref="StoreStatus.Unavailable"/> when the connection
    /// broke, <see cref="StoreStatus.TimedOut"/> when too much already waits (<paramref name="waiting"/> reads).
    /// </summary>
    public StoreStatus Send(ReadRequest request, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> bucketPrefix, ReadOnlySpan<ulong> ids, out int waiting)
    {
        bool flush;
        lock (_sync)
        {
            waiting = _awaiting.Count;
            if (_broken)
                return StoreStatus.Unavailable;
            if (_awaiting.Count >= MaxWaiting || _outgoing.WrittenCount >= MaxUnsentBytes)
                return StoreStatus.TimedOut;
            switch (request.Kind)
            {
                case ReadKind.Ping:
                    RespCommand.WritePing(_outgoing);
                    break;
                case ReadKind.PresenceWithLastSeen:
                    RespCommand.WritePresenceScript(_outgoing, ReadPipeline.PresenceScriptSha, prefix, bucketPrefix, ids);
                    break;
                default:
                    RespCommand.WriteGet(_outgoing, prefix, ids);
                    break;
            }
            _awaiting.Add(request);
            flush = !_flushing;
            _flushing = true;
        }
        if (flush)
            ThreadPool.UnsafeQueueUserWorkItem(s_flush, this, preferLocal: false);
        return StoreStatus.Ok;
    }

    /// <summary>Sends what callers have queued until nothing is left; only one runs per connection at a time.</summary>
    private async Task FlushAsync()
    {
        try
        {
            while (true)
            {
                ArrayBufferWriter<byte> batch;
                lock (_sync)
                {
                    if (_outgoing.WrittenCount == 0 || _broken)
                    {
                        _flushing = false;
                        return;
                    }
                    batch = _outgoing;
                    _outgoing = _sending;
                    _sending = batch;
                }
                // Completes at once (on this thread) unless the socket's send buffer is full.
                var unsent = batch.WrittenMemory;
                while (!unsent.IsEmpty)
                    unsent = unsent[await _socket.SendAsync(unsent, SocketFlags.None).ConfigureAwait(false)..];
                batch.ResetWrittenCount();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            Break($"send failed: {e.Message}");
        }
    }

    /// <summary>Reads replies and completes the reads they answer until the connection breaks.</summary>
    public async Task ReceiveAsync()
    {
        // The set-up read its replies whole (it fails on anything more): the buffer starts empty.
        int start = 0, end = 0;
        try
        {
            while (true)
            {
                if (end == _buffer.Length)
                {
                    // What is left is one unfinished line (at most ReplyReader.MaxLine bytes): move it to the front.
                    _buffer.AsSpan(start, end - start).CopyTo(_buffer);
                    end -= start;
                    start = 0;
                }
                // No cancellation token: registering one costs every receive; disposing the socket ends it.
                int received = await _socket.ReceiveAsync(_buffer.AsMemory(end), SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    Break("the store closed the connection");
                    return;
                }
                end += received;
                while (start < end)
                {
                    var reply = _reader.Read(_buffer.AsSpan(start, end - start), out int used);
                    start += used;
                    if (reply == ReplyEvent.NeedMore)
                        break;
                    Deliver(reply);
                }
                if (start == end)
                    start = end = 0;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or InvalidDataException)
        {
            Break(e is InvalidDataException ? $"a reply the service cannot read ({e.Message})" : $"receive failed: {e.Message}");
        }
    }

    /// <summary>Hands a whole reply to the read that asked for it: the oldest waiting one.</summary>
    private void Deliver(ReplyEvent reply)
    {
        ReadRequest? request;
        lock (_sync)
            request = _awaiting.TakeOldest();
        if (request is null)
            throw new InvalidDataException("a reply to nothing that was asked");
        switch (ReplyMatcher.Complete(request, reply, _reader))
        {
            case ReplyOutcome.Refused:
                _pipeline.OnStoreError(Shorten(_reader.Text));
                // The store lost the script (SCRIPT FLUSH, or a store that restarted behind a proxy): every
                // later call would fail too. A new connection loads it again as it opens.
                if (_reader.Text.StartsWith("NOSCRIPT", StringComparison.Ordinal))
                    throw new InvalidDataException("the store no longer has the presence script (NOSCRIPT); reconnecting loads it again");
                break;
            case ReplyOutcome.Unexpected:
                throw new InvalidDataException($"a {reply} reply to a {request.Kind} of {request.Count} keys");
        }
    }

    /// <summary>Fails every read past its deadline (<paramref name="now"/>, a <see cref="TimeProvider"/> timestamp); their late replies are matched and dropped.</summary>
    public void FailOverdue(long now)
    {
        List<ReadRequest>? overdue;
        lock (_sync)
            overdue = _awaiting.Overdue(now);
        if (overdue is null)
            return;
        _pipeline.OnReadsOverdue();
        foreach (var request in overdue)
            request.TryComplete(StoreStatus.TimedOut);
    }

    /// <summary>Ends the connection, once: every read waiting on it fails (its replies will never come), and the pipeline reconnects.</summary>
    public void Break(string reason)
    {
        ReadRequest[] waiting;
        lock (_sync)
        {
            if (_broken)
                return;
            _broken = true;
            waiting = _awaiting.TakeAll();
        }
        _pipeline.OnBroken(this, reason, waiting.Length);
        _socket.Dispose(); // ends a receive under way; the pipeline's run loop then reconnects
        foreach (var request in waiting)
            request.TryComplete(StoreStatus.Unavailable);
    }

    /// <summary>A store's text (an error reply, an exception's message) cut to a length fit for a log line or a problem.</summary>
    internal static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    public void Dispose() => _socket.Dispose();
}
