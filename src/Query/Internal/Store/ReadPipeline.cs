using System.Buffers;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Presence.Query.Internal.Store;

/// <summary>
/// The query path's own connection to a single store node: every GET, MGET and PING of every request
/// goes down one TCP connection, pipelined, and the replies come back in order.
/// <para>
/// Why not StackExchange.Redis (which the service still uses for the events log, and for Redis
/// Cluster): per read it costs a key object and an array per key, a value array and an array per
/// value, and thread hops (its writer, its reader, then a pool thread for the caller's continuation,
/// by design). Here a command is formatted straight into the send buffer and sent by the first caller
/// that finds no send under way (later callers' commands ride along), the receive loop reads each
/// value into a number, and the caller's continuation runs on the receive loop itself.
/// </para>
/// <para>
/// Every read ends within the store timeout: a timer fails the overdue ones (their late replies are
/// read and dropped), a lost connection fails every waiting read at once, and while no connection is
/// up a read fails at once (no backlog) while the connection is retried with a capped backoff.
/// </para>
/// </summary>
internal sealed class ReadPipeline : IAsyncDisposable
{
    /// <summary>Reads waiting for replies beyond which new ones fail at once: a stalled store must not pile up memory.</summary>
    internal const int MaxWaiting = 65_536;

    /// <summary>Unsent command bytes beyond which new reads fail at once (MGETs of --max-batch keys add up).</summary>
    internal const int MaxUnsentBytes = 32 << 20;

    private const int ReceiveBufferSize = 64 * 1024;
    private static readonly TimeSpan s_minBackoff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(1);

    // The send is queued behind the work this thread is doing (preferLocal), not made at once: the
    // requests that arrived together queue their commands meanwhile and go out in one send. Each
    // send to the store costs a wake-up of the store and a loopback delivery; one per request was
    // measured at 40% more service CPU per single-id request than batching them (bench/query/run.sh).
    private static readonly Action<Link> s_flush = static link => _ = link.Owner.FlushAsync(link);

    private readonly EndPoint _endPoint;
    private readonly byte[] _setUp;
    private readonly bool[] _setUpMustSucceed;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly ITimer _deadlines;
    private readonly Task _run;
    private Link? _link; // the connection up now; null while there is none
    private volatile string _downReason = "not connected yet"; // why there is no connection, while there is none

    public ReadPipeline(ConfigurationOptions options, TimeSpan timeout, TimeProvider? time = null)
    {
        if (!CanServe(options))
            throw new ArgumentException("Only a single plain store node is served directly.", nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        _endPoint = options.EndPoints[0];
        _timeout = timeout;
        _connectTimeout = TimeSpan.FromMilliseconds(Math.Max(options.ConnectTimeout, 100));
        _time = time ?? TimeProvider.System;
        (_setUp, _setUpMustSucceed) = SetUpCommands(options);
        LastError = $"no connection ({_downReason})";
        // Overdue reads are failed by this tick, so a read may wait up to one period past the timeout.
        var period = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 10, TimeSpan.TicksPerMillisecond * 5, TimeSpan.TicksPerMillisecond * 100));
        _deadlines = _time.CreateTimer(static state => ((ReadPipeline)state!).FailOverdue(), this, period, period);
        _run = Task.Run(RunAsync);
    }

    /// <summary>The cause of the last failure, for logs and problem details.</summary>
    public string LastError { get; private set; }

    /// <summary>True while a connection is up.</summary>
    public bool Connected => Volatile.Read(ref _link) is not null;

    /// <summary>
    /// Whether reads against <paramref name="options"/> can come here: exactly one endpoint, no TLS,
    /// no sentinel, no proxy or tunnel. (A cluster node also qualifies here; <see cref="PresenceStore"/>
    /// sends reads here only while the multiplexer says the store is not a cluster.)
    /// </summary>
    public static bool CanServe(ConfigurationOptions options) =>
        options.EndPoints.Count == 1 && !options.Ssl && options.ServiceName is null && options.Proxy == Proxy.None && options.Tunnel is null;

    /// <summary>
    /// GET (one id) or MGET (several) of <c>prefix + id</c>; the values, as lastSeenMs, go to
    /// <paramref name="values"/>[..ids.Length] when the status is <see cref="StoreStatus.Ok"/>.
    /// </summary>
    public ValueTask<StoreStatus> GetAsync(ReadOnlySpan<byte> prefix, ReadOnlySpan<ulong> ids, long[] values)
    {
        ArgumentOutOfRangeException.ThrowIfZero(ids.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(values.Length, ids.Length);
        return Send(ids.Length == 1 ? ReadKind.Get : ReadKind.MultiGet, prefix, ids, values);
    }

    /// <summary>PING: Ok when the store answers PONG within the timeout.</summary>
    public ValueTask<StoreStatus> PingAsync() => Send(ReadKind.Ping, default, default, []);

    /// <summary>Queues the command and its request on the connection up now; the reply completes the request.</summary>
    private ValueTask<StoreStatus> Send(ReadKind kind, ReadOnlySpan<byte> prefix, ReadOnlySpan<ulong> ids, long[] values)
    {
        var link = Volatile.Read(ref _link);
        if (link is null)
            return Fail(StoreStatus.Unavailable, $"no connection ({_downReason})");
        var request = new ReadRequest(kind, values, ids.Length, Deadline());
        bool flush;
        lock (link.Sync)
        {
            if (link.Broken)
                return Fail(StoreStatus.Unavailable, $"no connection ({_downReason})");
            if (link.Waiting.Count >= MaxWaiting || link.Outgoing.WrittenCount >= MaxUnsentBytes)
                return Fail(StoreStatus.TimedOut, $"{link.Waiting.Count} reads already wait for the store");
            if (kind == ReadKind.Ping)
                RespCommand.WritePing(link.Outgoing);
            else
                RespCommand.WriteGet(link.Outgoing, prefix, ids);
            link.Waiting.Enqueue(request);
            flush = !link.Flushing;
            link.Flushing = true;
        }
        if (flush)
            ThreadPool.UnsafeQueueUserWorkItem(s_flush, link, preferLocal: false);
        return request.Task;
    }

    private long Deadline() => _time.GetTimestamp() + (long)(_timeout.TotalSeconds * _time.TimestampFrequency);

    private ValueTask<StoreStatus> Fail(StoreStatus status, string reason)
    {
        LastError = reason;
        return ValueTask.FromResult(status);
    }

    /// <summary>Sends what callers have queued until nothing is left; only one runs per connection at a time.</summary>
    private async Task FlushAsync(Link link)
    {
        try
        {
            while (true)
            {
                ArrayBufferWriter<byte> batch;
                lock (link.Sync)
                {
                    if (link.Outgoing.WrittenCount == 0 || link.Broken)
                    {
                        link.Flushing = false;
                        return;
                    }
                    batch = link.Outgoing;
                    link.Outgoing = link.Sending;
                    link.Sending = batch;
                }
                // Completes at once (on this thread) unless the socket's send buffer is full.
                var unsent = batch.WrittenMemory;
                while (!unsent.IsEmpty)
                    unsent = unsent[await link.Socket.SendAsync(unsent, SocketFlags.None).ConfigureAwait(false)..];
                batch.ResetWrittenCount();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            Break(link, $"send failed: {e.Message}");
        }
    }

    private async Task RunAsync()
    {
        var backoff = s_minBackoff;
        var buffer = new byte[ReceiveBufferSize];
        while (!_stop.IsCancellationRequested)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                var reader = new ReplyReader();
                using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
                {
                    connecting.CancelAfter(_connectTimeout);
                    await socket.ConnectAsync(_endPoint, connecting.Token).ConfigureAwait(false);
                    await SetUpAsync(socket, reader, buffer, connecting.Token).ConfigureAwait(false);
                }
                var link = new Link(this, socket);
                Volatile.Write(ref _link, link);
                backoff = s_minBackoff;
                await ReceiveAsync(link, reader, buffer).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (OperationCanceledException)
            {
                _downReason = $"none within {_connectTimeout.TotalMilliseconds:0} ms";
            }
            catch (Exception e) when (e is SocketException or IOException or InvalidDataException or ObjectDisposedException)
            {
                _downReason = e is SocketException socketError ? socketError.SocketErrorCode.ToString() : Shorten(e.Message);
            }
            finally
            {
                socket.Dispose();
            }
            try
            {
                await Task.Delay(backoff, _time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, s_maxBackoff.Ticks));
        }
    }

    /// <summary>AUTH, SELECT and CLIENT SETNAME as the configuration asks; a refused AUTH or SELECT fails the connection.</summary>
    private async Task SetUpAsync(Socket socket, ReplyReader reader, byte[] buffer, CancellationToken cancel)
    {
        if (_setUp.Length == 0)
            return;
        await socket.SendAsync(_setUp, SocketFlags.None, cancel).ConfigureAwait(false);
        int replies = 0, start = 0, end = 0;
        while (replies < _setUpMustSucceed.Length)
        {
            int received = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None, cancel).ConfigureAwait(false);
            if (received == 0)
                throw new IOException("the store closed the connection while it was set up");
            end += received;
            while (replies < _setUpMustSucceed.Length)
            {
                var reply = reader.Read(buffer.AsSpan(start, end - start), out int used);
                start += used;
                if (reply == ReplyEvent.NeedMore)
                    break;
                if (reply == ReplyEvent.Error && _setUpMustSucceed[replies])
                    throw new IOException($"the store refused the connection's set-up: {Shorten(reader.Text)}");
                replies++;
            }
            if (start == end)
                start = end = 0;
        }
        if (start != end)
            throw new InvalidDataException("the store sent more than was asked while the connection was set up");
    }

    private async Task ReceiveAsync(Link link, ReplyReader reader, byte[] buffer)
    {
        int start = 0, end = 0;
        try
        {
            while (true)
            {
                if (end == buffer.Length)
                {
                    // What is left is one unfinished line (at most ReplyReader.MaxLine bytes): move it to the front.
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    end -= start;
                    start = 0;
                }
                // No cancellation token: registering one costs every receive; disposing the socket ends it.
                int received = await link.Socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    Break(link, "the store closed the connection");
                    return;
                }
                end += received;
                while (start < end)
                {
                    var reply = reader.Read(buffer.AsSpan(start, end - start), out int used);
                    start += used;
                    if (reply == ReplyEvent.NeedMore)
                        break;
                    Deliver(link, reader, reply);
                }
                if (start == end)
                    start = end = 0;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or InvalidDataException)
        {
            Break(link, e is InvalidDataException ? $"a reply the service cannot read ({e.Message})" : $"receive failed: {e.Message}");
        }
    }

    /// <summary>Hands a whole reply to the read that asked for it: the oldest waiting one.</summary>
    private void Deliver(Link link, ReplyReader reader, ReplyEvent reply)
    {
        ReadRequest? request;
        lock (link.Sync)
            link.Waiting.TryDequeue(out request);
        if (request is null)
            throw new InvalidDataException("a reply to nothing that was asked");
        switch (reply)
        {
            case ReplyEvent.Values when request.Kind != ReadKind.Ping && reader.Values.Length == request.Count:
                request.TryComplete(reader.Values);
                break;
            case ReplyEvent.Status when request.Kind == ReadKind.Ping && reader.Text == "PONG":
                request.TryComplete(StoreStatus.Ok);
                break;
            case ReplyEvent.Error:
                if (request.TryComplete(StoreStatus.Failed))
                    LastError = Shorten(reader.Text);
                break;
            default:
                throw new InvalidDataException($"a {reply} reply to a {request.Kind} of {request.Count} keys");
        }
    }

    /// <summary>Ends the connection: every read waiting on it fails (its replies will never come), and the run loop reconnects.</summary>
    private void Break(Link link, string reason)
    {
        ReadRequest[] waiting;
        lock (link.Sync)
        {
            if (link.Broken)
                return;
            link.Broken = true;
            waiting = [.. link.Waiting];
            link.Waiting.Clear();
        }
        _downReason = reason;
        Interlocked.CompareExchange(ref _link, null, link);
        if (waiting.Length > 0)
            LastError = $"connection lost ({reason})";
        link.Socket.Dispose(); // ends a receive under way; the run loop then reconnects
        foreach (var request in waiting)
            request.TryComplete(StoreStatus.Unavailable);
    }

    /// <summary>Fails every read past its deadline; they stay queued, so their late replies are matched and dropped.</summary>
    private void FailOverdue()
    {
        var link = Volatile.Read(ref _link);
        if (link is null)
            return;
        long now = _time.GetTimestamp();
        List<ReadRequest>? overdue = null;
        lock (link.Sync)
        {
            foreach (var request in link.Waiting)
            {
                if (request.IsDone)
                    continue;
                if (request.Deadline > now)
                    break; // deadlines grow along the queue: one timeout, taken in queue order
                (overdue ??= []).Add(request);
            }
        }
        if (overdue is null)
            return;
        LastError = $"no answer within {_timeout.TotalMilliseconds:0} ms";
        foreach (var request in overdue)
            request.TryComplete(StoreStatus.TimedOut);
    }

    private static (byte[] Commands, bool[] MustSucceed) SetUpCommands(ConfigurationOptions options)
    {
        var output = new ArrayBufferWriter<byte>();
        var mustSucceed = new List<bool>();
        if (options.Password is { Length: > 0 } password)
        {
            if (options.User is { Length: > 0 } user)
                RespCommand.Write(output, "AUTH", user, password);
            else
                RespCommand.Write(output, "AUTH", password);
            mustSucceed.Add(true);
        }
        if (options.DefaultDatabase is int database and not 0)
        {
            RespCommand.Write(output, "SELECT", database.ToString(System.Globalization.CultureInfo.InvariantCulture));
            mustSucceed.Add(true);
        }
        if (options.ClientName is { Length: > 0 } name)
        {
            // For CLIENT LIST on the store; a store without the command still serves reads.
            RespCommand.Write(output, "CLIENT", "SETNAME", name.Replace(' ', '-'));
            mustSucceed.Add(false);
        }
        return (output.WrittenSpan.ToArray(), [.. mustSucceed]);
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _deadlines.DisposeAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _link) is { } link)
            Break(link, "the service is stopping");
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    /// <summary>One TCP connection and what is queued on it; a new one replaces it after a break.</summary>
    private sealed class Link(ReadPipeline owner, Socket socket)
    {
        public ReadPipeline Owner { get; } = owner;

        public Socket Socket { get; } = socket;

        public Lock Sync { get; } = new();

        /// <summary>Reads sent (or about to be), oldest first: replies arrive in this order.</summary>
        public Queue<ReadRequest> Waiting { get; } = new();

        /// <summary>Commands not yet handed to a send.</summary>
        public ArrayBufferWriter<byte> Outgoing { get; set; } = new(4096);

        /// <summary>The buffer a send is under way from (swapped with <see cref="Outgoing"/>).</summary>
        public ArrayBufferWriter<byte> Sending { get; set; } = new(4096);

        public bool Flushing { get; set; }

        public bool Broken { get; set; }
    }
}
