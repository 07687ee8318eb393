namespace Presence.Bench.Faults.History;

/// <summary>What a run was: its seed and the settings the checker's rules depend on. Times are Unix ms (this machine's clock, shared by every process of the run).</summary>
internal sealed record RunInfo(
    int Seed,
    long TtlMs,
    long StartedMs,
    long EndedMs,
    // When the last fault ended (its recovery included); convergence is judged after it.
    long LastFaultEndedMs,
    // Ids of the users whose heartbeats the run sent and recorded (the judged users).
    IReadOnlyList<ulong> Users,
    // Query nodes by name (e.g. "query-1"), as the sessions and final answers name them.
    IReadOnlyList<string> QueryNodes,
    // "single" or "cluster".
    string Store);
