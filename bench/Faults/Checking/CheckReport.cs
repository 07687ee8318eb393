using Presence.Bench.Faults.History;

namespace Presence.Bench.Faults.Checking;

/// <summary>What <see cref="HistoryChecker.Check"/> found: what the run did, and per rule what was judged and broken.</summary>
internal sealed class CheckReport
{
    public required IReadOnlyDictionary<FaultKind, int> FaultsByKind { get; init; }

    /// <summary>Subscribers of plain streams (those with a debounced session are counted in <see cref="Debounced"/>).</summary>
    public required int Subscribers { get; init; }

    /// <summary>Plain sessions.</summary>
    public required int Sessions { get; init; }

    /// <summary>Online/offline items received over all plain sessions (each is judged by rule alternation).</summary>
    public required int EventsReceived { get; init; }

    public required int SnapshotsReceived { get; init; }

    /// <summary>The debounced streams (<c>debounce=S</c>), judged by the debounce-* rules.</summary>
    public DebounceFigures Debounced { get; init; } = DebounceFigures.None;

    public required int LogLines { get; init; }

    /// <summary>Records handed to the socket (not dropped on purpose), heartbeats and sign-outs.</summary>
    public required int HeartbeatsSent { get; init; }

    public required int HeartbeatsDropped { get; init; }

    /// <summary>Distinct heartbeats that some store sample judged (rule heartbeat-lost).</summary>
    public required long HeartbeatsJudged { get; init; }

    /// <summary>Distinct heartbeats the store never got, sent while an ingester's kernel counted receive-buffer drops: not judged.</summary>
    public long HeartbeatsExcusedByKernelDrops { get; init; }

    /// <summary>Datagrams the ingesters' kernels dropped (full receive buffers), over the run.</summary>
    public long KernelDrops { get; init; }

    /// <summary>Records the ingesters dropped themselves (presence_records_dropped_total, every reason), over the run.</summary>
    public long RecordsDropped { get; init; }

    /// <summary>Of <see cref="RecordsDropped"/>, those dropped with the coalescer's queue full.</summary>
    public long QueueFullDropped { get; init; }

    /// <summary>Whether the history has the ingesters' drop counts (histories recorded before them do not).</summary>
    public bool DropsRecorded { get; init; }

    public required int Samples { get; init; }

    /// <summary>Every rule, in <see cref="RuleNames.All"/>'s order.</summary>
    public required IReadOnlyList<RuleResult> Rules { get; init; }

    public bool Passed => Rules.All(r => r.Passed);

    public long Violations => Rules.Sum(r => r.Violations);

    public RuleResult Rule(string name) => Rules.Single(r => r.Name == name);

    public void Print(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        int faults = FaultsByKind.Values.Sum();
        writer.WriteLine($"faults injected: {faults}" + (faults == 0 ? "" : " (" + string.Join(", ", FaultsByKind.Select(p => $"{p.Key} {p.Value}")) + ")"));
        writer.WriteLine($"events judged: {EventsReceived} events and {SnapshotsReceived} snapshots in {Sessions} sessions of {Subscribers} subscribers; {LogLines} log lines");
        writer.WriteLine(Debounced.Sessions == 0
            ? "debounced streams: none"
            : $"debounced streams judged: {Debounced.Events} events and {Debounced.Snapshots} snapshots in {Debounced.Sessions} sessions of {Debounced.Subscribers} subscribers "
                + $"(debounce {string.Join(", ", Debounced.Seconds)} s); {Debounced.CancelledPairs} cancelled pairs left out (2 lines each)");
        writer.WriteLine($"heartbeats judged: {HeartbeatsJudged} of {HeartbeatsSent} sent ({HeartbeatsDropped} dropped at the sender), over {Samples} store samples");
        writer.WriteLine(DropsRecorded
            ? $"counted drops: {KernelDrops} datagrams by the ingesters' kernels (full receive buffers; {HeartbeatsExcusedByKernelDrops} heartbeats lost then, not judged), {RecordsDropped} records by the ingesters ({QueueFullDropped} queue_full)"
            : "counted drops: not recorded in this history");
        writer.WriteLine($"{"rule",-21} {"judged",-20} {"violations",10}  meaning");
        foreach (var rule in Rules)
            writer.WriteLine($"{rule.Name,-21} {rule.Judged,8} {rule.Unit,-11} {rule.Violations,10}  {rule.Title}");
        foreach (var rule in Rules.Where(r => !r.Passed))
            writer.WriteLine($"first {rule.Name} violation: {rule.FirstExample}");
        writer.WriteLine(Passed ? "PASSED: 0 violations" : $"FAILED: {Violations} violations");
    }
}
