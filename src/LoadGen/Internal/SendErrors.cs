using System.Net.Sockets;
using Presence.Core.Interop;

namespace Presence.LoadGen.Internal;

/// <summary>Which send failures are the network pushing back (counted) rather than a fault (thrown).</summary>
internal static class SendErrors
{
    /// <summary>
    /// EAGAIN/ENOBUFS: the send buffer or the device queue is full. ECONNREFUSED: an earlier
    /// datagram drew an ICMP port-unreachable (no listener yet), reported on a later send. EPERM:
    /// a local firewall dropped it. Each costs one frame, not the run.
    /// </summary>
    public static bool IsTransient(int errno) => errno is Errno.EAGAIN or Errno.ENOBUFS or Errno.ECONNREFUSED or Errno.EPERM;

    public static bool IsTransient(SocketError error) => error is SocketError.WouldBlock or SocketError.NoBufferSpaceAvailable
        or SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.AccessDenied;
}
