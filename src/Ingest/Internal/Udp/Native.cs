using System.Runtime.InteropServices;

namespace Presence.Ingest.Internal;

/// <summary>Linux socket calls the BCL does not expose: batch receive.</summary>
internal static unsafe partial class Native
{
    public const int MsgWaitForOne = 0x10000;
    public const int MsgDontWait = 0x40;
    public const int MsgTrunc = 0x20;
    public const int EIntr = 4;
    public const int EAgain = 11;
    public const int EBadF = 9;
    public const int ENoMem = 12;
    public const int ENotSock = 88;
    public const int ENoBufs = 105;

    public const int SolSocket = 1;
    public const int SoReuseAddr = 2;
    public const int SoRcvBuf = 8;
    public const int SoReusePort = 15;
    public const int SoRcvBufForce = 33;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>struct msghdr (x86_64 / arm64 Linux: 56 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>struct mmsghdr: a msghdr and the length the kernel received into it.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int RecvMmsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);
}
