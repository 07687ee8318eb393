namespace Presence.Bench.Faults.History;

/// <summary>
/// One injected fault. <see cref="StartMs"/> is when it was injected; <see cref="EndMs"/> is when the
/// system is whole again (the restarted process answers /readyz, the store answers PING, the link is up),
/// so rules that excuse a fault's window use [StartMs, EndMs] plus their own grace.
/// </summary>
internal sealed record FaultRecord(FaultKind Kind, string Target, long StartMs, long EndMs);
