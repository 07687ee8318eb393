using Microsoft.Extensions.Logging.Abstractions;
using Presence.Core;
using Presence.Core.Events;
using Presence.Ingest;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Transitions;
using Presence.Integration.Tests.Events;
using Presence.Testing;
using Presence.Testing.StandIns;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Ingest;

/// <summary>
/// The events log queue overflowing while the store is paused (a queue of 4 here, 1M in the
/// service), against a real redis-server and the real append script: every user's lines still
/// alternate, the log ends each user on its latest state (online in the log exactly when its key
/// exists), and an online that found the queue full is in the log.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class EventLogOverflowTests
{
    private const int QueueCapacity = 4;

    /// <summary>User 100's line and <see cref="History"/>'s, but user 7's dropped timeout and its second online (the log has it online).</summary>
    private const int AppendedLines = 11;

    [Fact]
    public async Task StoreClientThrowsWhatItShouldNot_AppendCountedFailed_Retried_TheLineLands()
    {
        // After a fault tore its connection down the store client can throw InvalidOperationException; an
        // append loop that let it through ended for good, and the ingester's transitions were never appended again.
        using var server = RedisServer.Start();
        using var mux = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var db = FailingDatabase.Over(mux.GetDatabase(), nameof(IDatabase.ScriptEvaluateAsync), failures: 2);
        var prefix = TestKeys.Prefix();
        var metrics = new IngestMetrics();
        var log = new EventLogAppender(db, prefix, TimeSpan.FromHours(1), new IngestClock(), metrics, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var appending = Task.Run(() => log.RunAsync(stop.Token));
        try
        {
            log.Enqueue(new(100, TransitionKind.Online, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            var keys = new EventLogKeys(prefix);
            await Eventually.Until(async () => await mux.GetDatabase().ListLengthAsync(keys.Log) == 1, "the online line is in the log");
            Assert.Equal(2, metrics.EventLogAppends.WithLabels("failed").Value);
            Assert.Equal(1, metrics.EventLogAppends.WithLabels("ok").Value);
            Assert.False(appending.IsCompleted);
        }
        finally
        {
            await stop.CancelAsync();
            await appending;
        }
    }

    [Fact]
    public async Task AppendFailing_TheBatchBeingRetried_CountsInTheBacklog_UntilItLands()
    {
        // The backlog read 0 through a whole outage once the appender had taken the queue into its batch: the
        // fault-schedule run's end, which waits for every ingester's backlog to be 0, judged the log before it had all.
        using var server = RedisServer.Start();
        using var mux = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var db = FailingDatabase.Over(mux.GetDatabase(), nameof(IDatabase.ScriptEvaluateAsync), failures: int.MaxValue);
        var prefix = TestKeys.Prefix();
        var metrics = new IngestMetrics();
        var log = new EventLogAppender(db, prefix, TimeSpan.FromHours(1), new IngestClock(), metrics, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var appending = Task.Run(() => log.RunAsync(stop.Token));
        try
        {
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            log.Enqueue(new(100, TransitionKind.Online, now));
            log.Enqueue(new(101, TransitionKind.Online, now));
            await Eventually.Until(() => metrics.EventLogAppends.WithLabels("failed").Value >= 1, "an append failed");
            Assert.Equal(0, log.Queued); // taken into the batch being retried
            log.PublishBacklog();
            Assert.Equal(2, metrics.EventLogBacklog.Value);

            ((FailingDatabase)(object)db).Failures = 0; // the store is back
            var keys = new EventLogKeys(prefix);
            await Eventually.Until(async () => await mux.GetDatabase().ListLengthAsync(keys.Log) == 2, "both lines are in the log");
            await Eventually.Until(() => { log.PublishBacklog(); return metrics.EventLogBacklog.Value == 0; }, "the backlog is 0");
        }
        finally
        {
            await stop.CancelAsync();
            await appending;
        }
    }

    [Fact]
    public async Task QueueOverflowsWhileTheStoreIsPaused_HeldTransitionsAppendedWhenItHasRoom_TheLogEndsOnTheStoresState()
    {
        using var server = RedisServer.Start();
        using var mux = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var db = mux.GetDatabase();
        var prefix = TestKeys.Prefix();
        var metrics = new IngestMetrics();
        var log = new EventLogAppender(db, prefix, TimeSpan.FromHours(1), new IngestClock(), metrics, NullLogger.Instance, QueueCapacity);
        using var stop = new CancellationTokenSource();
        var appending = Task.Run(() => log.RunAsync(stop.Token));
        long t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var truth = new Dictionary<ulong, bool>();
        try
        {
            server.Pause();
            Enqueue(log, truth, new(100, TransitionKind.Online, t));
            await Eventually.Until(() => log.Queued == 0, "the appender took its first batch (and waits on the paused store)");

            var history = History(t);
            foreach (var transition in history)
                Enqueue(log, truth, transition);
            Assert.Equal(QueueCapacity, log.Queued);
            int heldWhilePaused = log.Held;
            long droppedWhilePaused = (long)metrics.TransitionsDropped.Value;

            // The keys as the store has them once the store is back (online exactly while a key exists).
            server.Resume();
            foreach (var (user, online) in truth)
            {
                if (online)
                    await db.StringSetAsync(PresenceKeys.Format(prefix, user), t, TimeSpan.FromMinutes(5));
            }
            // The flusher thread releases held users each tick; here the test is that thread.
            await Eventually.Until(() =>
            {
                log.Release();
                return log.Held == 0 && log.Queued == 0;
            }, "every held user went into the queue and the queue was taken", TimeSpan.FromSeconds(60));
            log.Complete(); // nothing is held any more: the appender returns once what it took is appended
            await appending.WaitAsync(TimeSpan.FromSeconds(60));
            var lines = await ReadLog(db, prefix);

            await AssertLogMatchesStore(db, prefix, lines, truth);
            Assert.Equal(AppendedLines, lines.Count);
            Assert.Equal([TransitionKind.Online], Kinds(lines, 5));                          // its online found the queue full
            Assert.Equal([TransitionKind.Online, TransitionKind.Timeout], Kinds(lines, 6));  // both held: the period is shown
            Assert.Equal([TransitionKind.Online, TransitionKind.Timeout], Kinds(lines, 1));  // the timeout held: not left online
            Assert.Equal([TransitionKind.Online, TransitionKind.Signout], Kinds(lines, 2));
            Assert.Equal([TransitionKind.Online], Kinds(lines, 7)); // online, (timeout dropped), online: one online line
            Assert.Equal(5, heldWhilePaused); // users 5, 6, 1, 7, 2: what a full queue used to drop
            Assert.Equal(1, droppedWhilePaused); // user 7's timeout, between its first and latest held
        }
        finally
        {
            server.Resume();
            await stop.CancelAsync();
            await appending.WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    [Fact]
    public async Task Complete_WhileUsersAreHeld_AppendsThemAfterTheQueue()
    {
        using var server = RedisServer.Start();
        using var mux = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var db = mux.GetDatabase();
        var prefix = TestKeys.Prefix();
        var log = new EventLogAppender(db, prefix, TimeSpan.FromHours(1), new IngestClock(), new IngestMetrics(), NullLogger.Instance, QueueCapacity);
        using var stop = new CancellationTokenSource();
        var appending = Task.Run(() => log.RunAsync(stop.Token));
        long t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var truth = new Dictionary<ulong, bool>();
        try
        {
            server.Pause();
            Enqueue(log, truth, new(100, TransitionKind.Online, t));
            await Eventually.Until(() => log.Queued == 0, "the appender took its first batch (and waits on the paused store)");
            var history = History(t);
            foreach (var transition in history)
                Enqueue(log, truth, transition);
            int heldWhilePaused = log.Held;

            log.Complete(); // stopping: no tick releases them any more
            server.Resume();
            await appending.WaitAsync(TimeSpan.FromSeconds(60));

            var lines = await ReadLog(db, prefix);
            foreach (var (user, online) in truth)
            {
                if (online)
                    await db.StringSetAsync(PresenceKeys.Format(prefix, user), t, TimeSpan.FromMinutes(5));
            }
            await AssertLogMatchesStore(db, prefix, lines, truth);
            Assert.Equal(AppendedLines, lines.Count);
            Assert.Equal(5, heldWhilePaused);
        }
        finally
        {
            server.Resume();
            await stop.CancelAsync();
            await appending.WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    /// <summary>After user 100's online (taken by the appender): 4 fill the queue, the rest find it full.</summary>
    private static PresenceTransition[] History(long t) =>
    [
        new(1, TransitionKind.Online, t), new(2, TransitionKind.Online, t), new(3, TransitionKind.Online, t), new(4, TransitionKind.Online, t),
        new(5, TransitionKind.Online, t + 100),
        new(6, TransitionKind.Online, t + 100), new(6, TransitionKind.Timeout, t + 30_100),
        new(1, TransitionKind.Timeout, t + 30_000),
        new(7, TransitionKind.Online, t + 200), new(7, TransitionKind.Timeout, t + 30_200), new(7, TransitionKind.Online, t + 40_000),
        new(2, TransitionKind.Signout, t + 5_000),
    ];

    private static void Enqueue(EventLogAppender log, Dictionary<ulong, bool> truth, PresenceTransition transition)
    {
        log.Enqueue(transition);
        truth[transition.UserId] = transition.Kind == TransitionKind.Online;
    }

    private static Task<List<EventLogLine>> ReadLog(IDatabase db, string prefix) => EventLogLines.ReadAsync(db, new EventLogKeys(prefix));

    private static TransitionKind[] Kinds(List<EventLogLine> lines, ulong user) => lines.Where(l => l.UserId == user).Select(l => l.Kind).ToArray();

    /// <summary>Per user: lines alternate from online, <c>at</c> never goes back, and the last says whether its key exists.</summary>
    private static async Task AssertLogMatchesStore(IDatabase db, string prefix, List<EventLogLine> lines, Dictionary<ulong, bool> truth)
    {
        Assert.Equal(lines.Select(l => l.Seq).Order(), lines.Select(l => l.Seq));
        foreach (var user in truth.Keys)
        {
            var own = lines.Where(l => l.UserId == user).ToList();
            Assert.NotEmpty(own);
            for (int i = 0; i < own.Count; i++)
            {
                Assert.Equal(i % 2 == 0, own[i].IsOnline);
                if (i > 0)
                    Assert.True(own[i].AtMs >= own[i - 1].AtMs, $"user {user}: at went back at line {own[i].Seq}");
            }
            bool keyExists = await db.KeyExistsAsync(PresenceKeys.Format(prefix, user));
            Assert.True(own[^1].IsOnline == keyExists, $"user {user}: the log ends {(own[^1].IsOnline ? "online" : "offline")}, its key {(keyExists ? "exists" : "is gone")}");
        }
    }
}
