namespace Presence.Bench.EndToEnd;

/// <summary>
/// A receiver's counts at one moment: valid records read from its socket, confirmed store writes,
/// what it still holds (the ingest's pending users, the baseline's queued records), drops by
/// reason, and the ingest's whole /metrics (null for the baseline).
/// </summary>
internal sealed record ReceiverCounts(long Accepted, long Written, long Outstanding, IReadOnlyDictionary<string, long> Drops,
    Dictionary<string, double>? Metrics);
