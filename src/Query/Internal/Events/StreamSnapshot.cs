namespace Presence.Query.Internal.Events;

/// <summary>A stream's snapshot: the log position it was taken at, and the watched users' last-seen times (offline: <see cref="Store.PresenceStore.Offline"/>).</summary>
internal sealed record StreamSnapshot(string Epoch, long Seq, ulong[] Ids, long[] LastSeenMs);
