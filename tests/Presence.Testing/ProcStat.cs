using System.Globalization;
using System.Runtime.InteropServices;

namespace Presence.Testing;

/// <summary>CPU and memory of processes and of the machine, from /proc and getrusage.</summary>
public static partial class ProcStat
{
    /// <summary>USER_HZ: the unit of /proc/PID/stat and /proc/stat times, 100 on Linux.</summary>
    public const double TicksPerSecond = 100;

    private const int RusageChildren = -1;

    /// <summary>utime + stime of the process (all its threads), in seconds.</summary>
    public static double CpuSeconds(int pid) => CpuTicks(pid) / TicksPerSecond;

    /// <summary>utime + stime of the process (all its threads), in USER_HZ ticks.</summary>
    public static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // Fields after the command name (which may hold spaces) start at state (field 3): utime is 14, stime 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    /// <summary>Per thread of the process (by thread id): its name (comm) and utime + stime in seconds.</summary>
    public static Dictionary<int, (string Name, double Seconds)> ThreadCpuSeconds(int pid)
    {
        var threads = new Dictionary<int, (string, double)>();
        foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                threads[int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture)] = (stat[(open + 1)..close],
                    (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // the thread exited meanwhile
            }
        }
        return threads;
    }

    /// <summary>This process' own utime + stime, in seconds.</summary>
    public static double SelfCpuSeconds() => CpuSeconds(Environment.ProcessId);

    /// <summary>
    /// utime + stime of this process' children that have exited and been waited for, in seconds:
    /// the difference around one child's life is that child's CPU, exactly, with no sampling.
    /// </summary>
    public static double ReapedChildrenCpuSeconds()
    {
        if (GetRusage(RusageChildren, out var usage) != 0)
            throw new InvalidOperationException($"getrusage failed: errno {Marshal.GetLastPInvokeError()}");
        return usage.UserSeconds + usage.UserMicroseconds / 1e6 + usage.SystemSeconds + usage.SystemMicroseconds / 1e6;
    }

    /// <summary>CPU seconds the whole machine spent busy (every state but idle and iowait), from /proc/stat.</summary>
    public static double MachineBusySeconds()
    {
        var line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        var v = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
        long busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v.Length > 7 ? v[7] : 0);
        return busy / TicksPerSecond;
    }

    /// <summary>VmHWM: the process' peak resident set.</summary>
    public static long PeakRssBytes(int pid) => Memory(pid).PeakRssBytes;

    /// <summary>VmRSS and VmHWM: the process' resident set now and at its peak, in bytes.</summary>
    public static (long RssBytes, long PeakRssBytes) Memory(int pid)
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                rss = Kilobytes(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                peak = Kilobytes(line);
        }
        return (rss, peak);
    }

    /// <summary>The kernel's drop count of the IPv4 UDP socket bound to 127.0.0.1:<paramref name="port"/> (/proc/net/udp), or 0 when none is bound.</summary>
    public static long UdpDrops(int port)
    {
        string local = $"0100007F:{port:X4}";
        foreach (var line in File.ReadLines("/proc/net/udp").Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 12 && fields[1] == local)
                return long.Parse(fields[^1], CultureInfo.InvariantCulture);
        }
        return 0;
    }

    /// <summary>The 1-minute load average.</summary>
    public static double LoadAverage() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

    private static long Kilobytes(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetRusage(int who, out Rusage usage);

    /// <summary><c>struct rusage</c> (LP64): two timevals, then 14 longs this program does not read.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct Rusage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        private fixed long _rest[14];
    }
}
