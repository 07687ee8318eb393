using System.Net.Sockets;

namespace Presence.LoadGen.Internal;

/// <summary>Which send failures are the network pushing back (counted) rather than a fault (thrown).</summary>
internal static class SendErrors
{
    // Linux errno values (asm-generic/errno.h; the same on x64 and arm64).
    internal const int EINTR = 4;
    internal const int EAGAIN = 11;
    internal const int ENOBUFS = 105;
    internal const int ECONNREFUSED = 111;
    internal const int EPERM = 1;

    /// <summary>
    /// EAGAIN/ENOBUFS: the send buffer or the device queue is full. ECONNREFUSED: an earlier
    /// datagram drew an ICMP port-unreachable (no listener yet), reported on a later send. EPERM:
    /// a local firewall dropped it. Each costs one frame, not the run.
    /// </summary>
    public static bool IsTransient(int errno) => errno is EAGAIN or ENOBUFS or ECONNREFUSED or EPERM;

    public static bool IsTransient(SocketError error) => error is SocketError.WouldBlock or SocketError.NoBufferSpaceAvailable
        or SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.AccessDenied;
}
