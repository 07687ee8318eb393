namespace Presence.Core.Events;

/// <summary>
/// The log's state of some users at one sequence number (<see cref="EventLogSnapshotCall"/>): for
/// each, the <c>at</c> of its online line, or null when the log has it offline.
/// </summary>
public sealed record EventLogSnapshot(string Epoch, long Seq, long?[] OnlineSince);
