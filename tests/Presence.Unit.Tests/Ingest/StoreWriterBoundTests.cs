using System.Reflection;
using Presence.Ingest.Internal.Flush;
using Presence.Ingest.Internal.Store;
using Presence.Testing.StandIns;
using StackExchange.Redis;

namespace Presence.Unit.Tests.Ingest;

/// <summary>
/// A chunk whose commands are never answered (StackExchange.Redis can leave tasks so when a
/// connection fails under them, StackExchange.Redis#2742) ends after the bound, every write failed
/// and so retried, instead of stalling the flusher for good. The store writes themselves are tested
/// against redis-server (Presence.Integration.Tests, StoreWriterTests).
/// </summary>
public sealed class StoreWriterBoundTests
{
    [Fact]
    public async Task WriteChunk_NeverAnswered_EveryWriteFailedAfterTheBound()
    {
        var database = DispatchProxy.Create<IDatabase, SilentDatabase>();
        var writer = new StoreWriter(database, "p:", answerWithin: TimeSpan.FromMilliseconds(50));
        PendingWrite[] chunk = [new(1, 1_000, RecordKind.Heartbeat, 30_000), new(2, 1_000, RecordKind.Heartbeat, 30_000, Refresh: true), new(3, 1_000, RecordKind.Offline, 0)];
        var outcomes = new WriteOutcome[chunk.Length];
        Array.Fill(outcomes, WriteOutcome.Created);

        var write = writer.WriteChunkAsync(chunk, outcomes);
        await Task.WhenAny(write, Task.Delay(TimeSpan.FromSeconds(30)));

        Assert.True(write.IsCompletedSuccessfully, "the chunk is never given up");
        Assert.Equal([WriteOutcome.Failed, WriteOutcome.Failed, WriteOutcome.Failed], outcomes);
    }
}
