namespace Presence.Bench.Faults.Checking;

/// <summary>The rules' names as the report prints them (docs/FAULTS.md, "The checker's rules").</summary>
internal static class RuleNames
{
    public const string IdsIncrease = "ids-increase";
    public const string Alternation = "alternation";
    public const string NoSilentGap = "no-silent-gap";
    public const string EventsMatchLog = "events-match-log";
    public const string SnapshotState = "snapshot-state";
    public const string Convergence = "convergence";
    public const string Expiry = "expiry";
    public const string TimeoutAt = "timeout-at";
    public const string HeartbeatLost = "heartbeat-lost";

    /// <summary>Every rule, in the report's order.</summary>
    public static IReadOnlyList<string> All { get; } =
        [IdsIncrease, Alternation, NoSilentGap, EventsMatchLog, SnapshotState, Convergence, Expiry, TimeoutAt, HeartbeatLost];
}
