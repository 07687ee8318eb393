namespace Presence.Ingest.Internal.Flush;

/// <summary>
/// The flusher's view of the store: write one chunk of commands and report each outcome. The
/// flush policy (chunking, retries, backoff, drain) is tested against a scripted writer with a
/// fake clock; the real one is <c>Store/StoreWriter</c>.
/// </summary>
internal interface IStoreWriter
{
    /// <summary>Commands issued at once: the unit in which writes are confirmed and room is returned.</summary>
    int ChunkSize { get; }

    /// <summary>
    /// Issues every command of <paramref name="chunk"/>, awaits them together and writes each
    /// outcome into <paramref name="outcomes"/> at the same index. Never throws for a store failure:
    /// a failed command is <see cref="WriteOutcome.Failed"/>.
    /// </summary>
    Task WriteChunkAsync(ArraySegment<PendingWrite> chunk, ArraySegment<WriteOutcome> outcomes);

    /// <summary>
    /// True when a chunk whose every command failed means the whole store is away (one node, or
    /// every node of a cluster), so issuing more chunks now would only fail them too.
    /// </summary>
    bool WholeStoreAway { get; }
}

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
