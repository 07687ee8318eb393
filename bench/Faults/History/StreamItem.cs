namespace Presence.Bench.Faults.History;

/// <summary>
/// One event a subscriber received, as parsed from the SSE stream. <see cref="EventId"/> is the raw
/// <c>id:</c> line (<c>epoch-seq</c>); for <c>online</c>/<c>offline</c>, <see cref="User"/> and
/// <see cref="At"/> are set (and <see cref="Reason"/>, "timeout" or "signout", for offline); for a
/// snapshot, <see cref="Users"/> holds every watched user.
/// </summary>
internal sealed record StreamItem(
    long ArrivedMs,
    StreamItemKind Kind,
    string? EventId,
    ulong User = 0,
    long At = 0,
    string? Reason = null,
    IReadOnlyList<SnapshotUser>? Users = null);
