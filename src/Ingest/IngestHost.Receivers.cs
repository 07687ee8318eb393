using System.Net;
using Presence.Ingest.Internal.Gateway;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Intake;
using Presence.Ingest.Internal.Udp;

namespace Presence.Ingest;

/// <summary>Start-up: the receivers, the UDP receive loops on one socket and the gateway's TCP listener (--tcp).</summary>
public sealed partial class IngestHost
{
    /// <summary>Binds the UDP socket (--udp, --rcvbuf, --reuseport); returns the receive buffer the kernel granted.</summary>
    private int OpenUdpSocket()
    {
        _socket = UdpSocketFactory.Create(_options.UdpEndPoint, _options.ReceiveBufferBytes, _options.ReusePort, out int granted);
        UdpEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        Metrics.ReceiveBufferBytes.Set(granted);
        // The kernel reports twice what it holds for payload; less than asked means rmem_max capped it.
        if (granted < _options.ReceiveBufferBytes)
            IngestLog.SmallReceiveBuffer(_logger, _options.ReceiveBufferBytes, granted);
        _kernelStats = new KernelUdpStats((int)_socket.SafeHandle.DangerousGetHandle());
        return granted;
    }

    /// <summary>
    /// Builds the intake (frames checked, signatures with --keys) and the receive loops, idle until
    /// <see cref="StartReceivers"/>; returns the context the loops and the gateway's connections share.
    /// </summary>
    private ReceiveContext CreateReceivers(RecordBatchPool pool)
    {
        if (_options.KeyRing is { } keyRing)
            IngestLog.KeysLoaded(_logger, keyRing.Count, string.Join(",", keyRing.KeyIds), IngestLog.HmacPath);
        var intake = _intake = new FrameIntake(_options, _clock);
        var receive = new ReceiveContext(intake, _channel!.Writer, pool, Metrics, _clock, _logger);
        _loops = new ReceiveLoop[_options.Receivers];
        for (int i = 0; i < _loops.Length; i++)
            _loops[i] = ReceiveLoop.Create(_options.UseRecvMmsg, _socket!, receive, i, pauseMs: _options.ReceivePauseMs);
        return receive;
    }

    /// <summary>Starts the receive loops, then the gateway's listener: from here records arrive.</summary>
    private void StartReceivers(ReceiveContext receive, PendingBudget room, int granted)
    {
        foreach (var loop in _loops)
            loop.Start();
        IngestLog.UdpListening(_logger, UdpEndPoint.ToString(), _loops.Length, _options.Receiver, _options.ReceiveBufferBytes, granted);
        if (_options.TcpEndPoint is { } tcp)
        {
            _tcp = GatewayListener.Start(tcp, _options, receive, room);
            IngestLog.TcpListening(_logger, _tcp.EndPoint.ToString(), _options.TcpMaxConnections, _options.TcpIdleSeconds);
        }
    }
}
