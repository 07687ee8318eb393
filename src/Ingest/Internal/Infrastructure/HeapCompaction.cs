namespace Presence.Ingest.Internal.Infrastructure;

/// <summary>
/// One compacting full GC that gives the GC's emptied regions back to the kernel
/// (<see cref="GCCollectionMode.Aggressive"/>), asked for when a burst is over: the events queue
/// emptied after holding more than it keeps (a cold start's million new users). The burst's garbage
/// (the scripts' arguments, the coalescer's grown windows) leaves regions the GC keeps committed
/// however long the steady state after it lasts: measured at the seed workload, 1M users, 6–9 ms of
/// pause and RSS 106–111 MB against 113–117 without (docs/PERFORMANCE.md, "Ingest memory at 1M
/// online users").
/// </summary>
/// <remarks>
/// At most one every <see cref="MinInterval"/>, on a thread-pool thread, never two at once; skipped
/// (and counted) while the live heap is above <see cref="MaxLiveBytes"/>, whose compaction would
/// pause every thread, the UDP receiver's too, for longer than its socket buffer covers. A heap that
/// large holds users pending under a backlog, which is memory in use, not memory kept.
/// </remarks>
internal sealed class HeapCompaction
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromMinutes(1);
    public const long MaxLiveBytes = 128L << 20;

    private readonly IngestClock _clock;
    private readonly IngestMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Func<long> _liveBytes;
    private long _lastMs = long.MinValue / 2;
    private int _running;

    /// <param name="liveBytes">The live heap's size (tests); by default the last GC's heap less its fragmentation.</param>
    public HeapCompaction(IngestClock clock, IngestMetrics metrics, ILogger logger, Func<long>? liveBytes = null)
    {
        _clock = clock;
        _metrics = metrics;
        _logger = logger;
        _liveBytes = liveBytes ?? LastGcLiveBytes;
    }

    /// <summary>Runs the compaction on the thread pool unless one ran within <see cref="MinInterval"/> or runs now; true when it was started.</summary>
    public bool Request()
    {
        if (Interlocked.CompareExchange(ref _running, 1, 0) != 0)
            return false;
        long now = _clock.NowMs;
        if (now - Volatile.Read(ref _lastMs) < (long)MinInterval.TotalMilliseconds)
        {
            Volatile.Write(ref _running, 0);
            return false;
        }
        Volatile.Write(ref _lastMs, now);
        ThreadPool.UnsafeQueueUserWorkItem(static self => self.Run(), this, preferLocal: false);
        return true;
    }

    private void Run()
    {
        string result;
        try
        {
            result = Compact();
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
        _metrics.HeapCompactions.WithLabels(result).Inc(); // once the next request may run
    }

    private string Compact()
    {
        long live = _liveBytes();
        if (live > MaxLiveBytes)
        {
            IngestLog.HeapCompactionSkipped(_logger, live >> 20, MaxLiveBytes >> 20);
            return "skipped";
        }
        long committedBefore = GC.GetGCMemoryInfo().TotalCommittedBytes;
        var pausedBefore = GC.GetTotalPauseDuration();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var paused = GC.GetTotalPauseDuration() - pausedBefore;
        IngestLog.HeapCompacted(_logger, committedBefore >> 20, GC.GetGCMemoryInfo().TotalCommittedBytes >> 20, paused.TotalMilliseconds);
        return "done";
    }

    private static long LastGcLiveBytes()
    {
        var info = GC.GetGCMemoryInfo();
        return info.HeapSizeBytes - info.FragmentedBytes;
    }
}
