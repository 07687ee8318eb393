namespace Presence.Ingest.Internal.Flush;

/// <summary>Whole lists through an <see cref="IStoreWriter"/> (benchmarks and tests; the flusher goes chunk by chunk itself).</summary>
internal static class StoreWriterExtensions
{
    /// <summary>
    /// Writes <paramref name="writes"/> chunk by chunk. When every command of a chunk failed and the
    /// whole store is away, the chunks after it are not issued and stay <see cref="WriteOutcome.Failed"/>.
    /// Returns how many were not issued.
    /// </summary>
    public static async Task<int> WriteAsync(this IStoreWriter writer, IReadOnlyList<PendingWrite> writes, WriteOutcome[] outcomes)
    {
        var all = writes as PendingWrite[] ?? [.. writes];
        for (int start = 0; start < all.Length; start += writer.ChunkSize)
        {
            int count = Math.Min(writer.ChunkSize, all.Length - start);
            await writer.WriteChunkAsync(new ArraySegment<PendingWrite>(all, start, count), new ArraySegment<WriteOutcome>(outcomes, start, count)).ConfigureAwait(false);
            int rest = all.Length - (start + count);
            if (rest > 0 && !outcomes.AsSpan(start, count).ContainsAnyExcept(WriteOutcome.Failed) && writer.WholeStoreAway)
            {
                Array.Fill(outcomes, WriteOutcome.Failed, start + count, rest);
                return rest;
            }
        }
        return 0;
    }
}
