using Microsoft.Extensions.Logging.Abstractions;
using Presence.Core.Events;
using Presence.Ingest;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Transitions;
using Presence.Integration.Tests.Events;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Ingest;

/// <summary>
/// How the events appender cuts its queue into script calls, against a real redis-server and the real append script.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class EventLogAppenderCallTests(RedisFixture redis)
{
    [Fact]
    public async Task RelayedOnline_AtACallsSizeBoundary_GoesInTheCallOfItsTimeout_AndTheLogTakesIt()
    {
        // The log takes a relayed online (an expiry check's: another ingester's period begun after this one's lapsed) only
        // right after its timeout in one call. Queued as a call's last transition and the next call's first, it was dropped:
        // the log offline while the other ingester's key lived, if that ingester's own online was a possible one it had dropped.
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var prefix = TestKeys.Prefix();
        var metrics = new IngestMetrics();
        var log = new EventLogAppender(mux.GetDatabase(), prefix, TimeSpan.FromHours(1), new IngestClock(), metrics, NullLogger.Instance);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        log.Enqueue(new(7, TransitionKind.Online, now - 40_000));
        for (ulong user = 100; user < 100 + EventLogAppender.BatchSize - 2; user++)
            log.Enqueue(new(user, TransitionKind.Online, now));
        log.EnqueuePair(new(7, TransitionKind.Timeout, now - 10_000), new(7, TransitionKind.Online, now - 5_000, Relayed: true));
        Assert.Equal(EventLogAppender.BatchSize + 1, log.Queued); // the timeout last in the first call's share, its online after it

        using var stop = new CancellationTokenSource();
        var appending = Task.Run(() => log.RunAsync(stop.Token));
        try
        {
            var keys = new EventLogKeys(prefix);
            await Eventually.Until(() =>
            {
                log.PublishBacklog(); // queued + the call in flight
                return metrics.EventLogBacklog.Value == 0;
            }, "the queue is appended");
            var lines = await EventLogLines.ReadAsync(mux.GetDatabase(), keys);
            Assert.Equal([(TransitionKind.Online, now - 40_000), (TransitionKind.Timeout, now - 10_000), (TransitionKind.Online, now - 5_000)],
                lines.Where(l => l.UserId == 7).Select(l => (l.Kind, l.AtMs)));
            Assert.Equal(EventLogAppender.BatchSize + 1, lines.Count);
        }
        finally
        {
            await stop.CancelAsync();
            await appending;
        }
    }
}
