namespace Presence.Core.Interop;

/// <summary>Linux errno values the socket code tells apart (asm-generic/errno*.h: the same on x86_64 and arm64).</summary>
internal static class Errno
{
    public const int EPERM = 1;
    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int ENOTSOCK = 88;
    public const int ENOBUFS = 105;
    public const int ECONNREFUSED = 111;
}
