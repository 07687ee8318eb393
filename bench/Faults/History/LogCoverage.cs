namespace Presence.Bench.Faults.History;

/// <summary>How far the run's log reader read each epoch: every line with seq ≤ <see cref="ReadThroughSeq"/> of that epoch is in <see cref="RunHistory.Log"/>.</summary>
internal readonly record struct LogCoverage(string Epoch, long ReadThroughSeq);
