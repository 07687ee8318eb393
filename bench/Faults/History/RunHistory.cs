namespace Presence.Bench.Faults.History;

/// <summary>
/// Everything a fault-schedule run recorded, which the checker judges (docs/FAULTS.md). <see cref="Drops"/>
/// is absent from histories recorded before the runner read the ingesters' drop counters.
/// </summary>
internal sealed record RunHistory(
    RunInfo Info,
    IReadOnlyList<HeartbeatSent> Heartbeats,
    IReadOnlyList<FaultRecord> Faults,
    IReadOnlyList<Subscriber> Subscribers,
    IReadOnlyList<StreamSession> Sessions,
    IReadOnlyList<LogLine> Log,
    IReadOnlyList<LogCoverage> Coverage,
    IReadOnlyList<StoreSample> Samples,
    FinalState Final,
    IReadOnlyList<DropCount>? Drops = null);
