namespace Presence.Query.Internal.Events;

/// <summary>A stream's snapshot: the log position it was taken at, and the watched users' values as <see cref="Store.PresenceStore.GetLastSeenAsync"/> gives them (offline: <see cref="Store.PresenceStore.Offline"/>, or a last seen).</summary>
internal sealed record StreamSnapshot(string Epoch, long Seq, ulong[] Ids, long[] LastSeenMs);
