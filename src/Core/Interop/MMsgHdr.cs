using System.Runtime.InteropServices;

namespace Presence.Core.Interop;

/// <summary><c>struct mmsghdr</c> (64 bytes): a message and the bytes the kernel sent or received for it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MMsgHdr
{
    public MsgHdr Header;
    public uint Length;
}
