using System.Globalization;

namespace Presence.Bench.Events;

/// <summary>CPU time and memory of a process, from /proc.</summary>
internal readonly record struct ProcessSample(long CpuTicks, long RssBytes, long PeakRssBytes, DateTime At)
{
    /// <summary>USER_HZ, the unit of /proc/PID/stat times: 100 on Linux.</summary>
    public const double TicksPerSecond = 100;

    public static ProcessSample Take(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The fields after the command name (which may hold spaces) start at the state (field 3): utime is 14, stime 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                rss = Kilobytes(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                peak = Kilobytes(line);
        }
        return new ProcessSample(ticks, rss, peak, DateTime.UtcNow);
    }

    /// <summary>CPU seconds used between <paramref name="before"/> and this sample.</summary>
    public double CpuSecondsSince(ProcessSample before) => (CpuTicks - before.CpuTicks) / TicksPerSecond;

    /// <summary>Cores used on average between <paramref name="before"/> and this sample.</summary>
    public double CoresSince(ProcessSample before) => CpuSecondsSince(before) / Math.Max(1e-9, (At - before.At).TotalSeconds);

    private static long Kilobytes(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
}
