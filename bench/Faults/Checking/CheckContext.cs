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

    /// <summary>The faults that disturb the store's writes: paused, restarted, cut off, connections killed.</summary>
    public static bool DisturbsStore(FaultKind kind) =>
        kind is FaultKind.StorePause or FaultKind.Partition or FaultKind.StoreRestartWithData or FaultKind.StoreRestartEmpty or FaultKind.ClientKill;
}
