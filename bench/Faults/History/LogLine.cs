namespace Presence.Bench.Faults.History;

/// <summary>
/// One line of the store's events log as the run's own reader saw it (it follows the log through every
/// epoch), the ground truth of transitions. Lines of an epoch the reader did not read before the store
/// lost them are missing here, so the checker takes the union of these and what any subscriber received.
/// </summary>
internal readonly record struct LogLine(string Epoch, long Seq, bool Online, ulong User, long At, string? Reason);
