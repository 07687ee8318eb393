namespace Presence.Testing;

/// <summary>CPU time and memory of a process at one moment (<see cref="ProcStat"/>).</summary>
public readonly record struct ProcessSample(long CpuTicks, long RssBytes, long PeakRssBytes, DateTime At)
{
    public static ProcessSample Take(int pid)
    {
        long ticks = ProcStat.CpuTicks(pid);
        var (rss, peak) = ProcStat.Memory(pid);
        return new ProcessSample(ticks, rss, peak, DateTime.UtcNow);
    }

    /// <summary>CPU seconds used between <paramref name="before"/> and this sample.</summary>
    public double CpuSecondsSince(ProcessSample before) => (CpuTicks - before.CpuTicks) / ProcStat.TicksPerSecond;

    /// <summary>Cores used on average between <paramref name="before"/> and this sample.</summary>
    public double CoresSince(ProcessSample before) => CpuSecondsSince(before) / Math.Max(1e-9, (At - before.At).TotalSeconds);
}
