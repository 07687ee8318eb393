using Presence.Ingest.Internal.Udp;

namespace Presence.Ingest;

/// <summary>Stopping: the gateways' hand-over, the receive loops, the drain of held users, the events steps and the HTTP side, each bounded.</summary>
public sealed partial class IngestHost
{
    /// <summary>
    /// How long a stopping TCP connection may wait for room to hand over what it read. Short: with
    /// room there it takes microseconds; without (the store away) waiting longer saves nothing.
    /// </summary>
    internal const int TcpStopGraceMs = 1000;

    /// <summary>
    /// How long stopping may spend on each events step after the drain (hand-over of watched users,
    /// appending queued transitions): with the store up both take milliseconds; with it away, waiting
    /// longer saves nothing. Part of the stop budget: --shutdown-timeout-ms + 2 × this.
    /// </summary>
    internal const int EventsStopGraceMs = 2000;

    /// <summary>How long stopping waits, last, for the HTTP side's requests in flight.</summary>
    internal const int HttpStopGraceMs = 1000;

    /// <summary>
    /// The longest <see cref="StopAsync"/> takes with <paramref name="options"/>, step by step as it
    /// runs them: the gateways' hand-over (with --tcp), the receive loops waking (all at once) and
    /// taking what is queued on the socket, the drain of held users (--shutdown-timeout-ms), then
    /// the two events steps (with --events on), and the HTTP side's last requests. A supervisor's
    /// stop timeout (systemd's TimeoutStopSec, a container's stop grace period) must exceed it, or
    /// the drain is killed (SystemdUnitTests checks the unit against it).
    /// </summary>
    internal static int StopBudgetMs(IngestOptions options, bool gateways) =>
        (gateways ? Math.Min(TcpStopGraceMs, options.ShutdownTimeoutMs) : 0)
        + UdpSocketFactory.ReceiveTimeoutMs + ReceiveLoop.DrainLimitMs
        + options.ShutdownTimeoutMs
        + (options.EventsOn ? 2 * EventsStopGraceMs : 0)
        + HttpStopGraceMs;

    /// <summary>
    /// Stops receiving (TCP: stops accepting, closes every connection after it hands over the whole
    /// frames it had read), lets the coalescer drain, writes what is held (for at most
    /// --shutdown-timeout-ms), then stops HTTP. Returns the users left unwritten.
    /// </summary>
    public async Task<long> StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
            return PendingUsers;
        if (_tcp is not null)
            await _tcp.StopAsync(TimeSpan.FromMilliseconds(Math.Min(TcpStopGraceMs, _options.ShutdownTimeoutMs))).ConfigureAwait(false);
        // First no new datagrams (with --reuseport they go to the ingesters that stay), so the
        // loops can take all that is queued and the close below loses none.
        if (_socket is not null && _loops.Length > 0 && !UdpSocketFactory.StopDelivery(_socket))
            IngestLog.StopDeliveryFailed(_logger);
        // All loops at once: each wakes within the receive timeout and drains for up to its limit,
        // so stopping N of them takes what one takes, as StopBudgetMs counts.
        await Task.WhenAll(_loops.Select(loop => Task.Run(loop.Stop))).ConfigureAwait(false);
        // Close the socket now, not after the drain below (it takes no new datagrams already; closed,
        // it gives its port back at once).
        _socket?.Dispose();
        _channel?.Writer.TryComplete();
        if (_coalescerTask is not null)
            await _coalescerTask.ConfigureAwait(false);
        await _stopFlushing.CancelAsync().ConfigureAwait(false);
        if (_flusherTask is not null)
            await _flusherTask.ConfigureAwait(false);
        if (_sweepTask is not null)
            await _sweepTask.ConfigureAwait(false);
        long unwritten = 0;
        if (_flusher is not null)
        {
            IngestLog.Stopping(_logger, _flusher.PendingUsers, _options.ShutdownTimeoutMs);
            unwritten = await _flusher.DrainAsync(TimeSpan.FromMilliseconds(_options.ShutdownTimeoutMs)).ConfigureAwait(false);
        }
        await StopEventsAsync().ConfigureAwait(false);
        if (_http is not null)
        {
            // A scrape or probe in flight is answered (each is bounded by a store timeout of at
            // most 1 s, and /readyz says "stopping" at once); past the grace, connections are cut.
            using var grace = new CancellationTokenSource(HttpStopGraceMs);
            try
            {
                await _http.StopAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        IngestLog.Stopped(_logger, unwritten);
        return unwritten;
    }

    /// <summary>
    /// After the drain: hands the users watched for expiry over to the ingesters still running,
    /// then appends the transitions still queued. Each step is bounded (<see cref="EventsStopGraceMs"/>).
    /// </summary>
    private async Task StopEventsAsync()
    {
        if (_transitions is not null)
        {
            int tracked = _transitions.Tracker.Count;
            int handed = await _transitions.HandOverAsync(TimeSpan.FromMilliseconds(EventsStopGraceMs)).ConfigureAwait(false);
            if (tracked > 0)
                IngestLog.HandedOver(_logger, handed, tracked);
        }
        if (_eventLog is not null && _eventLogTask is not null)
        {
            // One grace for both: the appends, then the last seen of their offlines.
            long deadline = Environment.TickCount64 + EventsStopGraceMs;
            _eventLog.Complete();
            if (await Task.WhenAny(_eventLogTask, Task.Delay(EventsStopGraceMs)).ConfigureAwait(false) != _eventLogTask)
                await _stopAppending.CancelAsync().ConfigureAwait(false);
            await _eventLogTask.ConfigureAwait(false);
            await StopLastSeenAsync(deadline).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await StopAsync().ConfigureAwait(false);
        _socket?.Dispose();
        foreach (var loop in _loops)
            loop.Dispose();
        if (_http is not null)
            await _http.DisposeAsync().ConfigureAwait(false);
        _directWriter?.Dispose(); // the flusher has stopped with StopAsync
        if (_store is not null)
            await _store.DisposeAsync().ConfigureAwait(false);
        _stopFlushing.Dispose();
        _stopAppending.Dispose();
        _stopLastSeen.Dispose();
    }
}
