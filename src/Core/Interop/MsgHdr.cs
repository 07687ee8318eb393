using System.Runtime.InteropServices;

namespace Presence.Core.Interop;

/// <summary>
/// <c>struct msghdr</c> (LP64 Linux, x86_64 and arm64: 56 bytes, with 4 bytes of padding after
/// each of the two 4-byte fields). The receive path reads <see cref="Flags"/> back (MSG_TRUNC).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsgHdr
{
    public void* Name;
    public uint NameLength;
    public IoVec* Iov;
    public nuint IovLength;
    public void* Control;
    public nuint ControlLength;
    public int Flags;
}
