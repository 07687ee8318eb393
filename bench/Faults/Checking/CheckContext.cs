using Presence.Bench.Faults.History;

namespace Presence.Bench.Faults.Checking;

/// <summary>What every rule reads: the history, the options, the truth, and the history arranged for lookups.</summary>
internal sealed class CheckContext
{
    private static readonly HashSet<ulong> s_none = [];

    public CheckContext(RunHistory history, CheckOptions options, Truth truth)
    {
        History = history;
        Options = options;
        Truth = truth;
        Watched = history.Subscribers.ToDictionary(s => s.Id, s => s.Watched.ToHashSet());
        // Sessions of one subscriber in the order opened: their number, then the history's order.
        SessionsBySubscriber = history.Sessions
            .Select((session, index) => (session, index))
            .GroupBy(p => p.session.Subscriber)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<StreamSession>)g.OrderBy(p => p.session.Session).ThenBy(p => p.index).Select(p => p.session).ToList());
    }

    public RunHistory History { get; }

    public CheckOptions Options { get; }

    public Truth Truth { get; }

    public long TtlMs => History.Info.TtlMs;

    public IReadOnlyDictionary<int, HashSet<ulong>> Watched { get; }

    public IReadOnlyDictionary<int, IReadOnlyList<StreamSession>> SessionsBySubscriber { get; }

    public HashSet<ulong> WatchedBy(int subscriber) => Watched.TryGetValue(subscriber, out var set) ? set : s_none;

    /// <summary>Whether <paramref name="t"/> lies in [start − <paramref name="beforeMs"/>, end + grace] of a fault of one of <paramref name="kinds"/>.</summary>
    public bool InWindow(long t, Func<FaultKind, bool> kinds, long beforeMs = 0) =>
        History.Faults.Any(f => kinds(f.Kind) && t >= f.StartMs - beforeMs && t <= f.EndMs + Options.FaultGraceMs);

    /// <summary>Whether [<paramref name="from"/>, <paramref name="to"/>] overlaps [start, end + grace] of a fault of one of <paramref name="kinds"/>.</summary>
    public bool OverlapsWindow(long from, long to, Func<FaultKind, bool> kinds) =>
        History.Faults.Any(f => kinds(f.Kind) && from <= f.EndMs + Options.FaultGraceMs && to >= f.StartMs);

    /// <summary>
    /// The store-disturbing faults (<see cref="DisturbsStore"/>) as spells: [start, end] of faults that
    /// overlap or follow each other within FaultGraceMs, merged, in time order.
    /// </summary>
    public IReadOnlyList<(long StartMs, long EndMs, bool Partitioned)> StoreFaultSpells()
    {
        var spells = new List<(long StartMs, long EndMs, bool Partitioned)>();
        foreach (var fault in History.Faults.Where(f => DisturbsStore(f.Kind)).OrderBy(f => f.StartMs))
        {
            bool partition = fault.Kind == FaultKind.Partition;
            if (spells.Count > 0 && fault.StartMs <= spells[^1].EndMs + Options.FaultGraceMs)
                spells[^1] = (spells[^1].StartMs, Math.Max(spells[^1].EndMs, fault.EndMs), spells[^1].Partitioned || partition);
            else
                spells.Add((fault.StartMs, fault.EndMs, partition));
        }
        return spells;
    }

    /// <summary>
    /// When an ingester's kernel counted receive-buffer drops (<see cref="History.DropCount"/>): for each read
    /// whose count rose over the node's read before it (or, after a restart, is above 0), [that earlier read's
    /// time − 1 s, this read's time + 2 s] (the count is read on the ingester within the 2 s of its request).
    /// Empty for histories without drop counts.
    /// </summary>
    public IReadOnlyList<(long FromMs, long ToMs)> KernelDropWindows()
    {
        var windows = new List<(long FromMs, long ToMs)>();
        foreach (var node in (History.Drops ?? []).GroupBy(d => d.Node))
        {
            long previousAt = History.Info.StartedMs, previous = 0;
            foreach (var count in node.OrderBy(d => d.AtMs))
            {
                if (Rise(count.KernelDrops, previous) > 0)
                    windows.Add((previousAt - 1000, count.AtMs + 2000));
                previousAt = count.AtMs;
                previous = count.KernelDrops;
            }
        }
        return windows;
    }

    /// <summary>Over the run, summed over the ingesters: datagrams their kernels dropped, records they dropped.</summary>
    public (long KernelDrops, long RecordsDropped, long QueueFull) DropTotals()
    {
        long kernel = 0, records = 0, queueFull = 0;
        foreach (var node in (History.Drops ?? []).GroupBy(d => d.Node))
        {
            long k = 0, r = 0, q = 0;
            foreach (var count in node.OrderBy(d => d.AtMs))
            {
                kernel += Rise(count.KernelDrops, k);
                records += Rise(count.RecordsDropped, r);
                queueFull += Rise(count.QueueFull, q);
                (k, r, q) = (count.KernelDrops, count.RecordsDropped, count.QueueFull);
            }
        }
        return (kernel, records, queueFull);
    }

    /// <summary>How much a counter rose since its read before: one that went down restarted from 0 with its process.</summary>
    private static long Rise(long now, long before) => now >= before ? now - before : now;

    /// <summary>The faults that disturb the store's writes: paused, restarted, cut off, connections killed.</summary>
    public static bool DisturbsStore(FaultKind kind) =>
        kind is FaultKind.StorePause or FaultKind.Partition or FaultKind.StoreRestartWithData or FaultKind.StoreRestartEmpty or FaultKind.ClientKill;
}
