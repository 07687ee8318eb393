using Presence.Core;

namespace Presence.Ingest.Internal.Flush;

/// <summary>
/// One store command of a flush: SET with the time left, or DEL. <paramref name="Refresh"/>: the
/// ingester knows the user's key exists (it wrote it, and the key has time left), so the SET only
/// refreshes it (<c>XX</c>): a cheaper command for the store than <c>SET … GET</c>, which reads
/// the old value to see whether an online period begins.
/// </summary>
/// <remarks>24 bytes (the time left fits an int: at most --ttl, ≤ 86,400,000 ms): a flush's snapshot holds one per held user.</remarks>
internal readonly record struct PendingWrite(ulong UserId, long ReceiveMs, RecordKind Kind, int TtlLeftMs, bool Refresh = false);
