using System.Runtime.InteropServices;

namespace Presence.Core.Interop;

/// <summary><c>struct iovec</c> (LP64 Linux: 16 bytes): one buffer of a message.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public void* Base;
    public nuint Length;
}
