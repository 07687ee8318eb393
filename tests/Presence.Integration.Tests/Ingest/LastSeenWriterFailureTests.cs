using Microsoft.Extensions.Logging.Abstractions;
using Presence.Core.Events;
using Presence.Core.LastSeen;
using Presence.Ingest;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.LastSeen;
using Presence.Ingest.Internal.Transitions;
using Presence.Testing;
using Presence.Testing.StandIns;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Ingest;

/// <summary>The last seen writer against a real redis-server whose client fails the way StackExchange.Redis does after a fault.</summary>
[Collection(RedisCollection.Name)]
public sealed class LastSeenWriterFailureTests
{
    [Theory]
    [InlineData("no-connection")]   // what fault run 20 saw: the batch's Execute threw, the loop died, and the ingester crashed at its stop
    [InlineData("invalid-operation")]
    public async Task BatchExecuteThrows_CountedFailed_Retried_TheLastSeenLands_AndTheLoopLives(string failure)
    {
        using var server = RedisServer.Start();
        using var mux = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        Exception thrown = failure == "no-connection"
            ? new RedisConnectionException(ConnectionFailureType.UnableToResolvePhysicalConnection, "No connection is active/available to service this operation: EVAL")
            : new InvalidOperationException("Reading is not allowed after reader was completed.");
        var db = FailingDatabase.Over(mux.GetDatabase(), nameof(IDatabase.CreateBatch), failures: 2, thrown, failBatchExecute: true);
        var prefix = TestKeys.Prefix();
        var metrics = new IngestMetrics();
        var writer = new LastSeenWriter(db, prefix, retentionDays: 30, ttlMs: 30_000, new IngestClock(), metrics, NullLogger.Instance)
        {
            AnswerWithin = TimeSpan.FromMilliseconds(500), // the unsent batch's calls are never answered
        };
        using var stop = new CancellationTokenSource();
        var writing = Task.Run(() => writer.RunAsync(stop.Token));
        try
        {
            long atMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            writer.Offer([new PresenceTransition(42, TransitionKind.Signout, atMs)], atMs);
            var keys = new LastSeenKeys(prefix);
            await Eventually.Until(async () => (await mux.GetDatabase().HashGetAsync(keys.KeyOf(42), LastSeenKeys.Field(42))).HasValue,
                "user 42's last seen is in its bucket");
            Assert.Equal(2, metrics.LastSeenWrites.WithLabels("failed").Value); // counted before the attempt that landed
            // Counted after the batch's answers, which may reach this test's read first (one connection).
            await Eventually.Equal(1.0, () => metrics.LastSeenWrites.WithLabels("written").Value, "the write counted");
            Assert.False(writing.IsCompleted);

            writer.Complete();
            await writing.WaitAsync(TimeSpan.FromSeconds(30)); // a stop after the failures ends cleanly
        }
        finally
        {
            await stop.CancelAsync();
            await writing.ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }
}
