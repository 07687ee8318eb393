using System.Runtime.InteropServices;

namespace Presence.Core.Interop;

/// <summary>
/// Linux socket calls and options the BCL does not expose: batch send and receive (the load
/// generator's <c>sendmmsg</c>, the ingester's <c>recvmmsg</c>) and the socket options around them.
/// One copy for every program here; the layouts are checked by MmsgLayoutTests and used for real by
/// the integration tests' UDP capture.
/// </summary>
internal static unsafe partial class LinuxSockets
{
    public const int SolSocket = 1;
    public const int SoReuseAddr = 2;
    public const int SoRcvBuf = 8;
    public const int SoReusePort = 15;
    public const int SoRcvBufForce = 33;

    /// <summary>MSG_TRUNC: in a received message's flags, the datagram was longer than its buffer.</summary>
    public const int MsgTrunc = 0x20;

    /// <summary>MSG_WAITFORONE: recvmmsg blocks for the first datagram only, then takes what is queued.</summary>
    public const int MsgWaitForOne = 0x10000;
    public const int MsgDontWait = 0x40;

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int RecvMmsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMmsg(int fd, MMsgHdr* messages, uint count, int flags);
}
