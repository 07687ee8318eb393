using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Presence.Core;
using Presence.Core.Interop;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Intake;

namespace Presence.Ingest.Internal.Gateway;

/// <summary>
/// The gateway TCP listener (--tcp): accepts connections, runs a <see cref="GatewayConnection"/>
/// for each, holds them to --tcp-max-connections (one more is accepted and closed at once, counted)
/// and closes those idle for --tcp-idle-seconds. Stopping stops accepting, closes every
/// connection, and lets each hand over the whole frames it had read.
/// </summary>
internal sealed class GatewayListener
{
    /// <summary>Connections the kernel queues before accept: gateways reconnecting after a restart arrive together.</summary>
    private const int Backlog = 512;

    private readonly Socket _listener;
    private readonly ConcurrentDictionary<GatewayConnection, byte> _connections = new();
    private readonly CancellationTokenSource _stopAccepting = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly int _maxConnections;
    private readonly long _idleTicks;
    private readonly TimeSpan _sweepInterval;
    private readonly ILogger _logger;
    private Task _accepting = Task.CompletedTask;
    private Task _sweeping = Task.CompletedTask;
    private long _buffered;
    private int _open;

    private GatewayListener(Socket listener, IngestOptions options, ReceiveContext context, PendingBudget room)
    {
        _listener = listener;
        _maxConnections = options.TcpMaxConnections;
        var idle = TimeSpan.FromSeconds(options.TcpIdleSeconds);
        _idleTicks = (long)(idle.TotalSeconds * Stopwatch.Frequency);
        // A connection is closed between idle and idle + one sweep: a quarter of it, at most a second.
        _sweepInterval = TimeSpan.FromTicks(Math.Min(idle.Ticks / 4, TimeSpan.TicksPerSecond));
        Context = context;
        Room = room;
        _logger = context.Logger;
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public int OpenConnections => Volatile.Read(ref _open);

    /// <summary>Bytes read from every connection and not yet parsed (each connection stops reading past 1 MiB).</summary>
    public long BufferedBytes => Interlocked.Read(ref _buffered);

    internal ReceiveContext Context { get; }

    internal PendingBudget Room { get; }

    private IngestMetrics Metrics => Context.Metrics;

    /// <summary>Binds (with SO_REUSEPORT under --reuseport, like UDP) and starts accepting.</summary>
    public static GatewayListener Start(IPEndPoint endPoint, IngestOptions options, ReceiveContext context, PendingBudget room)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (options.ReusePort)
                socket.SetRawSocketOption(LinuxSockets.SolSocket, LinuxSockets.SoReusePort, BitConverter.GetBytes(1));
            socket.Bind(endPoint);
            socket.Listen(Backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var loop = new GatewayListener(socket, options, context, room);
        loop._accepting = Task.Run(loop.AcceptAsync);
        loop._sweeping = Task.Run(loop.SweepIdleAsync);
        return loop;
    }

    internal void AddBuffered(long bytes) => Interlocked.Add(ref _buffered, bytes);

    /// <summary>
    /// Stops accepting and closes every connection; each hands over the whole frames it had read.
    /// A connection still waiting for room after <paramref name="grace"/> (the store away) gives
    /// its batch up, counted as dropped for shutdown.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        await _stopAccepting.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        await _sweeping.ConfigureAwait(false);

        // No accept runs now, so this is every connection there will be.
        var open = _connections.Keys.ToArray();
        foreach (var connection in open)
            connection.Close(GatewayCloseReason.Shutdown);
        var all = Task.WhenAll(open.Select(c => c.Completion));
        if (await Task.WhenAny(all, Task.Delay(grace)).ConfigureAwait(false) != all)
            await _abort.CancelAsync().ConfigureAwait(false);
        await all.ConfigureAwait(false);
        _stopAccepting.Dispose();
        _abort.Dispose();
    }

    private async Task AcceptAsync()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1));
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopAccepting.Token).ConfigureAwait(false);
                backoff.Succeed();
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return; // stopping
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset or SocketError.Interrupted)
            {
                continue; // transient: the client went away before it was accepted
            }
            catch (SocketException e)
            {
                // Out of descriptors or buffers (EMFILE, ENFILE, ENOBUFS) and the unexpected:
                // back off, never spin, never die; connections already open keep working.
                var delay = backoff.Fail();
                if (backoff.Failures == 1 || backoff.Failures % 100 == 0)
                    IngestLog.TcpAcceptError(_logger, e.SocketErrorCode.ToString(), backoff.Failures, delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, _stopAccepting.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            Admit(client);
        }
    }

    private void Admit(Socket client)
    {
        Metrics.TcpAccepted.Inc();
        if (Interlocked.Increment(ref _open) > _maxConnections)
        {
            Interlocked.Decrement(ref _open);
            client.Dispose();
            Metrics.TcpClosed(GatewayCloseReason.OverLimit).Inc();
            return;
        }
        Metrics.TcpConnections.Inc();
        var connection = new GatewayConnection(this, client);
        _connections[connection] = 0;
        connection.Completion = RunAsync(connection);
    }

    private async Task RunAsync(GatewayConnection connection)
    {
        GatewayCloseReason reason;
        try
        {
            await Task.Yield(); // off the accept loop
            reason = await connection.RunAsync(_abort.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // one connection's unexpected failure must not take the listener down; it is logged and counted
        catch (Exception e)
#pragma warning restore CA1031
        {
            connection.Close(GatewayCloseReason.Error);
            IngestLog.TcpConnectionFailed(_logger, e);
            reason = GatewayCloseReason.Error;
        }
        // Gone from the open count before its close is counted: whoever sees the close counted
        // sees the connection no longer open.
        _connections.TryRemove(connection, out _);
        Interlocked.Decrement(ref _open);
        Metrics.TcpConnections.Dec();
        Metrics.TcpClosed(reason).Inc();
    }

    private async Task SweepIdleAsync()
    {
        using var timer = new PeriodicTimer(_sweepInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopAccepting.Token).ConfigureAwait(false))
            {
                long now = Stopwatch.GetTimestamp();
                foreach (var connection in _connections.Keys)
                    connection.CloseIfIdle(now, _idleTicks);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
