namespace Presence.Bench.Faults.History;

/// <summary>A logical subscriber: the ids it watches. Its sessions are in <see cref="RunHistory.Sessions"/> in the order opened.</summary>
internal sealed record Subscriber(int Id, IReadOnlyList<ulong> Watched);
