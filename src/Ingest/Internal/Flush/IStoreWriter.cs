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

    /// <summary>Why the last chunk had failed writes, as far as the writer knows (the connection's or the store's reason); null: none known.</summary>
    string? LastError { get; }
}
