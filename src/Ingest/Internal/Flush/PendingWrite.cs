using Presence.Core;

namespace Presence.Ingest.Internal;

/// <summary>One store command of a flush: SET with the time left, or DEL.</summary>
/// <remarks>24 bytes (the time left fits an int: at most --ttl, ≤ 86,400,000 ms): a flush's snapshot holds one per held user.</remarks>
internal readonly record struct PendingWrite(ulong UserId, long ReceiveMs, RecordKind Kind, int TtlLeftMs);
