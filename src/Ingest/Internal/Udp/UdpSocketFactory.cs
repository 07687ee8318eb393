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
