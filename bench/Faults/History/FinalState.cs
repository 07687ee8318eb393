namespace Presence.Bench.Faults.History;

/// <summary>
/// The end of the run, taken after the last fault and a quiet period (no faults, no churn; silent users
/// past their ttl): the store's keys of the judged users, every query node's batch answer for them,
/// each taken at its own time.
/// </summary>
internal sealed record FinalState(
    long StoreReadMs,
    IReadOnlyDictionary<ulong, long> StoreKeys,
    long BatchReadMs,
    IReadOnlyList<BatchAnswer> Batch);
