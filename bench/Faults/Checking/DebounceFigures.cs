namespace Presence.Bench.Faults.Checking;

/// <summary>
/// What the debounced streams of a run did (<see cref="CheckReport.Debounced"/>): subscribers and sessions
/// with <c>debounce=S</c>, the online/offline events and snapshots they received, the pairs of lines they
/// left out as cancelled (judged by rule debounce-exact), and the debounces asked for, in seconds.
/// </summary>
internal sealed record DebounceFigures(int Subscribers, int Sessions, int Events, int Snapshots, long CancelledPairs, IReadOnlyList<int> Seconds)
{
    public static DebounceFigures None { get; } = new(0, 0, 0, 0, 0, []);
}
