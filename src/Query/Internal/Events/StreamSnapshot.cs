namespace Presence.Query.Internal.Events;

/// <summary>
/// A stream's snapshot: the log position it was taken at, and the watched users' values as
/// <see cref="Store.PresenceStore.GetLastSeenAsync"/> gives them (offline: <see cref="Store.PresenceStore.Offline"/>,
/// or a last seen). A debounced stream's also has its place in read time (<see cref="PointMs"/>, its
/// event id's key), and shows the users whose offline it holds as online.
/// </summary>
internal sealed record StreamSnapshot(string Epoch, long Seq, ulong[] Ids, long[] LastSeenMs, long PointMs = 0);
