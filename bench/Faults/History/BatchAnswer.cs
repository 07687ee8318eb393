namespace Presence.Bench.Faults.History;

/// <summary>One user in a query node's batch answer at the end of the run.</summary>
internal readonly record struct BatchAnswer(string Node, ulong User, bool Online, long? LastSeenMs);
