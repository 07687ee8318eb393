namespace Presence.Bench.Faults.History;

/// <summary>One user of a <c>snapshot</c> event.</summary>
internal readonly record struct SnapshotUser(ulong User, bool Online, long? LastSeenMs);
