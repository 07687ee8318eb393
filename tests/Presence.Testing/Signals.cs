using System.Runtime.InteropServices;

namespace Presence.Testing;

/// <summary>kill(2) for the processes a test, benchmark or tool starts (Linux).</summary>
public static partial class Signals
{
    public const int SigHup = 1;
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/> (a negative pid: its process group); 0 when sent, else -1 (errno in <see cref="Marshal.GetLastPInvokeError"/>).</summary>
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    /// <summary>SIGTERM to one process; throws when it cannot be sent.</summary>
    public static void Terminate(int pid)
    {
        if (Kill(pid, SigTerm) != 0)
            throw new InvalidOperationException($"kill -TERM {pid} failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary><paramref name="signal"/> to the process group led by <paramref name="pid"/>, else (no such group) to the process alone.</summary>
    public static void ToGroup(int pid, int signal)
    {
        if (Kill(-pid, signal) != 0)
            Kill(pid, signal);
    }
}
