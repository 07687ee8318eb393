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

    // Debounced streams (debounce=S, HTTP-API.md "Debounce"): the plain stream rules above judge plain sessions only.
    public const string DebounceMatchLog = "debounce-match-log";
    public const string DebounceAlternation = "debounce-alternation";
    public const string DebounceExact = "debounce-exact";
    public const string DebounceOfflineHeld = "debounce-offline-held";
    public const string DebounceConvergence = "debounce-convergence";

    /// <summary>The rules of debounced sessions.</summary>
    public static IReadOnlyList<string> Debounce { get; } =
        [DebounceMatchLog, DebounceAlternation, DebounceExact, DebounceOfflineHeld, DebounceConvergence];

    /// <summary>Every rule, in the report's order.</summary>
    public static IReadOnlyList<string> All { get; } =
        [IdsIncrease, Alternation, NoSilentGap, EventsMatchLog, SnapshotState, Convergence, .. Debounce, Expiry, TimeoutAt, HeartbeatLost];
}
