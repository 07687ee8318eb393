using System.Runtime.InteropServices;

namespace Presence.Core.Interop;

/// <summary>
/// Anonymous memory straight from the kernel (<c>mmap</c>), given back page by page (<c>madvise</c>)
/// or whole (<c>munmap</c>) the moment its owner says so, and <c>mincore</c> to see what is resident.
/// Used by <see cref="NativeBlock"/>.
/// </summary>
internal static unsafe partial class LinuxMemory
{
    public const int ProtRead = 0x1;
    public const int ProtWrite = 0x2;
    public const int MapPrivate = 0x02;
    public const int MapAnonymous = 0x20;
    public const int MadvDontNeed = 4;
    public static readonly nint MapFailed = -1;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(nint address, nuint length, int advice);

    [LibraryImport("libc", EntryPoint = "mincore", SetLastError = true)]
    public static partial int Mincore(nint address, nuint length, byte* vector);
}
