namespace Presence.Ingest.Internal.Transitions;

/// <summary>A user the expiry tracker watches, with the receive time of the write it knows of.</summary>
internal readonly record struct TrackedUser(ulong UserId, long WrittenMs);
