using System.Net;
using System.Net.Sockets;
using Presence.Core.Interop;

namespace Presence.Ingest.Internal.Udp;

/// <summary>Creates and tunes the UDP socket: receive buffer, SO_REUSEPORT, a receive timeout so loops can stop.</summary>
internal static class UdpSocketFactory
{
    /// <summary>How often a blocked receive wakes to see whether it should stop.</summary>
    public const int ReceiveTimeoutMs = 200;

    public static Socket Create(IPEndPoint endPoint, int receiveBufferBytes, bool reusePort, out int grantedBufferBytes)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (reusePort)
                socket.SetRawSocketOption(LinuxSockets.SolSocket, LinuxSockets.SoReusePort, BitConverter.GetBytes(1));
            SetReceiveBuffer(socket, receiveBufferBytes);
            socket.ReceiveTimeout = ReceiveTimeoutMs;
            socket.Bind(endPoint);
            grantedBufferBytes = socket.ReceiveBufferSize;
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Makes the kernel stop delivering datagrams to <paramref name="socket"/> while what it already
    /// queued stays readable, so that a stopping ingester can take every datagram it was given before
    /// it closes the socket. A UDP socket connected to a peer takes only that peer's datagrams; it is
    /// connected to its own address, which no sender has. With SO_REUSEPORT the kernel then hands
    /// the port's datagrams to the sockets still bound (connecting a wildcard-bound socket also
    /// takes it out of the port's group); without, it refuses them as a closed socket would.
    /// Returns false (nothing changed) where the connect fails.
    /// </summary>
    public static bool StopDelivery(Socket socket)
    {
        try
        {
            var local = (IPEndPoint)socket.LocalEndPoint!;
            var self = local.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
                : local.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
                : local.Address;
            socket.Connect(new IPEndPoint(self, local.Port));
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            return false;
        }
    }

    private static void SetReceiveBuffer(Socket socket, int bytes)
    {
        // SO_RCVBUFFORCE passes net.core.rmem_max but needs CAP_NET_ADMIN; without it, SO_RCVBUF
        // is silently capped at rmem_max. Either way the kernel doubles the value for bookkeeping;
        // what it granted is read back and reported.
        if (OperatingSystem.IsLinux())
        {
            try
            {
                socket.SetRawSocketOption(LinuxSockets.SolSocket, LinuxSockets.SoRcvBufForce, BitConverter.GetBytes(bytes));
                return;
            }
            catch (SocketException)
            {
                // not privileged: fall through
            }
        }
        socket.ReceiveBufferSize = bytes;
    }
}
