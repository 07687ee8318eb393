using System.Net;
using System.Net.Sockets;
using Presence.Core.LastSeen;
using Presence.Hosting;
using StackExchange.Redis;

namespace Presence.Query.Internal.Store;

/// <summary>
/// The query path's own connection to a single store node: every GET, MGET, presence script call and PING of every request
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
/// <para>
/// Split as StackExchange.Redis splits PhysicalBridge from PhysicalConnection: this type is the
/// endpoint's side (which connection is current, reconnecting with a backoff, the deadline timer, the
/// last error), <see cref="ReadConnection"/> the socket's (set-up, sending, reading replies,
/// completing reads in order, failing them when it breaks).
/// </para>
/// </summary>
internal sealed class ReadPipeline : IAsyncDisposable
{
    private static readonly TimeSpan s_minBackoff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(1);

    private readonly EndPoint _endPoint;
    private readonly ConnectionSetUp _setUp;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly ITimer _deadlines;
    private readonly Task _run;
    private ReadConnection? _current; // the connection up now; null while there is none
    private volatile string _downReason = "not connected yet"; // why there is no connection, while there is none

    /// <param name="lastSeen">Whether reads may ask last seen too (<see cref="GetWithLastSeenAsync"/>): each connection then loads the presence script when it opens.</param>
    public ReadPipeline(ConfigurationOptions options, TimeSpan timeout, TimeProvider? time = null, bool lastSeen = false)
    {
        if (!CanServe(options))
            throw new ArgumentException("Only a single plain store node is served directly.", nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        _endPoint = options.EndPoints[0];
        _timeout = timeout;
        _connectTimeout = TimeSpan.FromMilliseconds(Math.Max(options.ConnectTimeout, 100));
        _time = time ?? TimeProvider.System;
        _setUp = ConnectionSetUp.From(options, lastSeen ? LastSeenScripts.Presence : null);
        ServesLastSeen = lastSeen;
        LastError = $"no connection ({_downReason})";
        // Overdue reads are failed by this tick, so a read may wait up to one period past the timeout.
        var period = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 10, TimeSpan.TicksPerMillisecond * 5, TimeSpan.TicksPerMillisecond * 100));
        _deadlines = _time.CreateTimer(static state => ((ReadPipeline)state!).FailOverdue(), this, period, period);
        _run = Task.Run(RunAsync);
    }

    /// <summary>The cause of the last failure, for logs and problem details.</summary>
    public string LastError { get; private set; }

    /// <summary>Whether <see cref="GetWithLastSeenAsync"/> may be called (the connections load the presence script).</summary>
    public bool ServesLastSeen { get; }

    /// <summary>The presence script's SHA-1, as EVALSHA names it.</summary>
    internal static ReadOnlySpan<byte> PresenceScriptSha => s_presenceSha;

    private static readonly byte[] s_presenceSha = System.Text.Encoding.ASCII.GetBytes(LastSeenScripts.PresenceSha);

    /// <summary>True while a connection is up.</summary>
    public bool Connected => Volatile.Read(ref _current) is not null;

    /// <summary>
    /// Whether reads against <paramref name="options"/> can come here: exactly one endpoint, no TLS,
    /// no sentinel, no proxy or tunnel. (A cluster node also qualifies here; <see cref="PresenceStore"/>
    /// sends reads here only while the multiplexer says the store is not a cluster.)
    /// </summary>
    public static bool CanServe(ConfigurationOptions options) => StoreTopology.OneNodeInTheClear(options);

    /// <summary>
    /// GET (one id) or MGET (several) of <c>prefix + id</c>; the values, as lastSeenMs, go to
    /// <paramref name="values"/>[..ids.Length] when the status is <see cref="StoreStatus.Ok"/>.
    /// </summary>
    public ValueTask<StoreStatus> GetAsync(ReadOnlySpan<byte> prefix, ReadOnlySpan<ulong> ids, long[] values)
    {
        ArgumentOutOfRangeException.ThrowIfZero(ids.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(values.Length, ids.Length);
        return Send(ids.Length == 1 ? ReadKind.Get : ReadKind.MultiGet, prefix, default, ids, values);
    }

    /// <summary>
    /// Presence and last seen of <paramref name="ids"/> in one EVALSHA of the presence script: each value
    /// is a receive time (online), <see cref="PresenceStore.Offline"/>, <see cref="PresenceStore.UnknownTime"/>
    /// or an offline user's last seen as <see cref="LastSeenTime.EncodeOffline"/>. Only when <see cref="ServesLastSeen"/>.
    /// </summary>
    public ValueTask<StoreStatus> GetWithLastSeenAsync(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> bucketPrefix, ReadOnlySpan<ulong> ids, long[] values)
    {
        ArgumentOutOfRangeException.ThrowIfZero(ids.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(values.Length, ids.Length);
        if (!ServesLastSeen)
            throw new InvalidOperationException("This pipeline's connections do not load the presence script.");
        return Send(ReadKind.PresenceWithLastSeen, prefix, bucketPrefix, ids, values);
    }

    /// <summary>PING: Ok when the store answers PONG within the timeout.</summary>
    public ValueTask<StoreStatus> PingAsync() => Send(ReadKind.Ping, default, default, default, []);

    /// <summary>Queues the command and its request on the connection up now; the reply completes the request.</summary>
    private ValueTask<StoreStatus> Send(ReadKind kind, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> bucketPrefix, ReadOnlySpan<ulong> ids, long[] values)
    {
        var connection = Volatile.Read(ref _current);
        if (connection is null)
            return Fail(StoreStatus.Unavailable, $"no connection ({_downReason})");
        var request = new ReadRequest(kind, values, ids.Length, Deadline());
        return connection.Send(request, prefix, bucketPrefix, ids, out int waiting) switch
        {
            StoreStatus.Ok => request.Task,
            StoreStatus.Unavailable => Fail(StoreStatus.Unavailable, $"no connection ({_downReason})"),
            _ => Fail(StoreStatus.TimedOut, $"{waiting} reads already wait for the store"),
        };
    }

    private long Deadline() => _time.GetTimestamp() + (long)(_timeout.TotalSeconds * _time.TimestampFrequency);

    private ValueTask<StoreStatus> Fail(StoreStatus status, string reason)
    {
        LastError = reason;
        return ValueTask.FromResult(status);
    }

    /// <summary>Opens a connection, serves reads on it until it breaks, and opens the next after a capped backoff.</summary>
    private async Task RunAsync()
    {
        var backoff = s_minBackoff;
        while (!_stop.IsCancellationRequested)
        {
            var connection = new ReadConnection(this);
            try
            {
                using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
                {
                    connecting.CancelAfter(_connectTimeout);
                    await connection.OpenAsync(_endPoint, _setUp, connecting.Token).ConfigureAwait(false);
                }
                Volatile.Write(ref _current, connection);
                backoff = s_minBackoff;
                await connection.ReceiveAsync().ConfigureAwait(false);
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
                _downReason = e is SocketException socketError ? socketError.SocketErrorCode.ToString() : ReadConnection.Shorten(e.Message);
            }
            finally
            {
                connection.Dispose();
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

    /// <summary>The deadline timer's tick: the connection up now fails its overdue reads.</summary>
    private void FailOverdue() => Volatile.Read(ref _current)?.FailOverdue(_time.GetTimestamp());

    /// <summary>
    /// <paramref name="connection"/> broke, <paramref name="failing"/> reads with it (called before they
    /// are failed, so their callers read this reason): reads fail at once until the next one is up.
    /// </summary>
    internal void OnBroken(ReadConnection connection, string reason, int failing)
    {
        _downReason = reason;
        Interlocked.CompareExchange(ref _current, null, connection);
        if (failing > 0)
            LastError = $"connection lost ({reason})";
    }

    /// <summary>Reads passed their deadline (called before they are failed).</summary>
    internal void OnReadsOverdue() => LastError = $"no answer within {_timeout.TotalMilliseconds:0} ms";

    /// <summary>The store answered a read with an error (called once the read has ended with <see cref="StoreStatus.Failed"/>).</summary>
    internal void OnStoreError(string text) => LastError = text;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _deadlines.DisposeAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _current) is { } connection)
            connection.Break("the service is stopping");
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
